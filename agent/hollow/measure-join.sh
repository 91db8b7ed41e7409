#!/bin/bash
# The join storm (BENCHMARKS.md, "Issue 13: 150,000 pods (round 4)"): a controller alone, NODES simulated nodes
# started at once (agent --simulate), the Ready nodes every 10 s until all are Ready or LIMIT seconds passed, then
# the controller's CPU over 30 s (idle: heartbeats only), and what the storm cost: TLS handshakes the controller
# dropped (its log's "TLS handshake error"), requests it shed with 429, the simulator's warnings.
# usage: agent/hollow/measure-join.sh NODES LIMIT   (after make build; as root)
# BIN=path picks another binary (a before/after comparison).
set -u
N=$1; LIMIT=$2
BIN=$(realpath ${BIN:-bin/reconcile}); W=${WORK:-/tmp/hollow-join}/w$N-$$; rm -rf $W; mkdir -p $W/repo
PORT=$((20000 + RANDOM % 12000)); while ss -ltn | grep -q ":$PORT \|:$((PORT + 1)) "; do PORT=$((20000 + RANDOM % 12000)); done
cd $W/repo && git init -q -b main && git commit -q --allow-empty -m init
$BIN controller --repo $W/repo --data $W/data --listen 127.0.0.1:$PORT --node-cidr-mask-size 24 --cluster-cidr 10.0.0.0/8 \
  --metrics-listen 127.0.0.1:$((PORT + 1)) > $W/ctl.log 2>&1 &
CPID=$!; sleep 2; kill -0 $CPID || { cat $W/ctl.log; exit 1; }
R="$BIN --config-file $W/data/admin.conf"
for i in $(seq 60); do $R get nodes >/dev/null 2>&1 && break; sleep 1; done
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
T0=$(date +%s.%N); c0=$(cpu $CPID)
$BIN agent --simulate $N --simulate-resync-interval 60s --config-file $W/data/admin.conf --data $W/sim > $W/sim.log 2>&1 &
SPID=$!
n=0
while :; do
  sleep 10
  el=$(echo "$(date +%s.%N)-$T0" | bc)
  n=$(timeout 60 $R get nodes 2>/dev/null | grep -c ' Ready ')
  echo "t=${el%.*}s ready=$n load=$(cut -d' ' -f1 /proc/loadavg) handshake-errors=$(grep -c 'TLS handshake error' $W/ctl.log)"
  [ "$n" -ge "$N" ] && break
  [ "$(echo "$el > $LIMIT" | bc)" = 1 ] && break
done
T1=$(date +%s.%N); c1=$(cpu $CPID)
echo "nodes Ready: $n of $N in $(echo "$T1-$T0" | bc) s; controller CPU meanwhile $(echo "scale=1; ($c1-$c0)/$tick" | bc) s; $(grep -o 'took=[^ ]*' $W/sim.log)"
sleep 10
c0=$(cpu $CPID); s0=$(cpu $SPID); l0=$(cut -d' ' -f1-3 /proc/loadavg); sleep 30; c1=$(cpu $CPID); s1=$(cpu $SPID)
echo "idle 30 s: controller CPU $(echo "scale=1; ($c1-$c0)*100/$tick/30" | bc) % of a core; simulator $(echo "scale=1; ($s1-$s0)*100/$tick/30" | bc) %; load $l0 -> $(cut -d' ' -f1-3 /proc/loadavg)"
echo "controller: TLS handshake errors $(grep -c 'TLS handshake error' $W/ctl.log), peak RSS $(( $(awk '/VmHWM/{print $2}' /proc/$CPID/status) / 1024 )) MiB; shed 429: $(curl -s -m 20 "http://127.0.0.1:$((PORT + 1))/metrics" | awk '/^reconcile_api_requests_total.*code="429"/{s+=$2} END{print s+0}'); simulator warnings: $(grep -c WARN $W/sim.log)"
kill $SPID; wait $SPID; kill $CPID; wait $CPID
