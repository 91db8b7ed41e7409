#!/bin/bash
# The first measurement of simulated nodes (BENCHMARKS.md, "Issue 13: simulated
# nodes"): a controller alone, NODES simulated nodes (agent --simulate), the
# controller's CPU over 60 s once they are Ready, both RSS, then a Deployment of
# REPLICAS pods from commit to all ready (given up after 6 min).
# usage: agent/hollow/measure.sh NODES RESYNC MASK REPLICAS   (after make build; as root)
# BIN=path picks another binary (a before/after comparison); CLUSTER_CIDR=10.0.0.0/8 passes --cluster-cidr;
# PROFILE=file.pprof serves the controller's metrics and /debug/pprof on a loopback port and takes a 30 s CPU
# profile after the measured minute (not during it: profiling costs CPU).
set -u
N=$1; RESYNC=$2; MASK=$3; REPLICAS=$4
BIN=$(realpath ${BIN:-bin/reconcile}); W=${WORK:-/tmp/hollow-measure}/w$N-$RESYNC-$REPLICAS; rm -rf $W; mkdir -p $W/repo
PORT=$((17500 + RANDOM % 400))
cd $W/repo && git init -q -b main && git commit -q --allow-empty -m init
$BIN controller --repo $W/repo --data $W/data --listen 127.0.0.1:$PORT --node-cidr-mask-size $MASK ${CLUSTER_CIDR:+--cluster-cidr $CLUSTER_CIDR} --metrics-listen "${PROFILE:+127.0.0.1:$((PORT + 1000))}" > $W/ctl.log 2>&1 &
CPID=$!
R="$BIN --config-file $W/data/admin.conf"
for i in $(seq 60); do $R get nodes >/dev/null 2>&1 && break; sleep 1; done
T0=$(date +%s.%N)
$BIN agent --simulate $N --simulate-resync-interval $RESYNC --config-file $W/data/admin.conf --data $W/sim > $W/sim.log 2>&1 &
SPID=$!
for i in $(seq 600); do
  n=$($R get nodes 2>/dev/null | grep -c ' Ready ')
  [ "$n" -ge "$N" ] && break; sleep 2
done
T1=$(date +%s.%N)
echo "nodes Ready: $n in $(echo "$T1-$T0" | bc) s; $(grep -o 'took=[^ ]*' $W/sim.log)"
sleep 20
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
c0=$(cpu $CPID); s0=$(cpu $SPID); l0=$(cut -d' ' -f1-3 /proc/loadavg); sleep 60; c1=$(cpu $CPID); s1=$(cpu $SPID)
echo "idle 60 s: controller CPU $(echo "scale=1; ($c1-$c0)*100/$tick/60" | bc) % of a core ($(echo "scale=2; ($c1-$c0)/$tick" | bc) s); simulator CPU $(echo "scale=1; ($s1-$s0)*100/$tick/60" | bc) %; load average $l0 -> $(cut -d' ' -f1-3 /proc/loadavg)"
echo "controller: $(ls /proc/$CPID/fd | wc -l) open fds, $(ss -tn state close-wait 2>/dev/null | grep -c ":$PORT ") sockets in CLOSE-WAIT; simulator warnings so far: $(grep -c WARN $W/sim.log)"
echo "RSS: controller $(( $(awk '/VmRSS/{print $2}' /proc/$CPID/status) / 1024 )) MiB, simulator $(( $(awk '/VmRSS/{print $2}' /proc/$SPID/status) / 1024 )) MiB"
if [ -n "${PROFILE:-}" ]; then
  curl -s -o "$PROFILE" "http://127.0.0.1:$((PORT + 1000))/debug/pprof/profile?seconds=30" && echo "CPU profile (30 s, after the minute): $PROFILE"
fi
if [ "$REPLICAS" -gt 0 ]; then
  cat > $W/repo/web.yaml <<Y
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: $REPLICAS
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: localhost/reconcile-hello:v1}]
Y
  (cd $W/repo && git add . && git commit -qm web)
  T2=$(date +%s.%N); $R sync >/dev/null
  for i in $(seq 180); do
    ready=$($R get deployments 2>/dev/null | awk '$1=="web"{print $2}')
    [ "$ready" = "$REPLICAS/$REPLICAS" ] && break; sleep 2
  done
  T3=$(date +%s.%N)
  echo "commit -> $ready ready: $(echo "$T3-$T2" | bc) s"
  echo "RSS after: controller $(( $(awk '/VmRSS/{print $2}' /proc/$CPID/status) / 1024 )) MiB, simulator $(( $(awk '/VmRSS/{print $2}' /proc/$SPID/status) / 1024 )) MiB"
fi
kill $SPID; wait $SPID; kill $CPID; wait $CPID
echo "warnings in simulator log: $(grep -c WARN $W/sim.log)"; du -sh $W/data | cut -f1
