#!/bin/bash
# Memory of the controller and of a real agent (BENCHMARKS.md, "Issue 13:
# memory"; make bench-memory runs both).
#
#   agent/hollow/measure-memory.sh controller NODES DEPLOYMENTS REPLICAS
#     a controller alone, NODES simulated nodes (agent --simulate), then one
#     commit of DEPLOYMENTS Deployments × REPLICAS pods; the controller's
#     RSS (VmRSS) and peak (VmHWM) with no node, with the nodes Ready, and
#     30 s after every pod is Running, its Go heap (runtime/metrics from
#     /metrics) and a heap profile (go tool pprof -inuse_space W/heap.pb.gz).
#   agent/hollow/measure-memory.sh agent PODS
#     a controller and one real agent (Podman, as root; make images first),
#     the agent's own RSS and peak with no pod and with PODS pods of
#     localhost/reconcile-hello:v1 Running, and its heap profile.
#
# After make build. Prints one line per figure; the work directory (W=…)
# keeps the logs and profiles. Every process it starts is stopped at exit.
# The agent's log server and ingress proxy listen on free ports beside
# PORT (not 10250, 80, 443: other agents may run on the host).
# BIN= picks the reconcile binary (default bin/reconcile); AGENT_BIN= the
# binary the agent runs as (bin/reconcile-agent, the node binary: the same
# `agent` command without the controller linked in; default BIN).
set -u
MODE=$1; shift
BIN=$(realpath ${BIN:-bin/reconcile})
AGENT_BIN=$(realpath ${AGENT_BIN:-$BIN})
W=${WORK:-/tmp/measure-memory}/$MODE-$$; rm -rf $W; mkdir -p $W/repo
# PORT..PORT+5: the API, the controller's and the agent's metrics, the
# agent's log server and ingress proxy; none of them taken (other tests run).
while :; do
  PORT=$((20000 + RANDOM % 20000))
  ss -Htln | awk '{print $4}' | grep -qE ":($PORT|$((PORT+1))|$((PORT+2))|$((PORT+3))|$((PORT+4))|$((PORT+5)))\$" || break
done
MPORT=$((PORT + 1)); AMPORT=$((PORT + 2))
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done; wait' EXIT

cd $W/repo && git init -q -b main && git -c user.name=m -c user.email=m@localhost commit -q --allow-empty -m init
$BIN controller --repo $W/repo --data $W/data --listen 127.0.0.1:$PORT --node-cidr-mask-size 26 \
  --metrics-listen 127.0.0.1:$MPORT > $W/ctl.log 2>&1 &
CPID=$!; PIDS+=($CPID)
R="$BIN --config-file $W/data/admin.conf"
for i in $(seq 60); do $R get nodes >/dev/null 2>&1 && break; sleep 1; done
# a port taken between the check above and the listen (other tests run) ends
# the controller: say so at once instead of waiting for nodes that never come
kill -0 $CPID 2>/dev/null || { echo "controller exited: $(tail -1 $W/ctl.log)"; exit 3; }

mib() { echo $(( $(awk "/^$2:/{print \$2}" /proc/$1/status) / 1024 )); }
cputime() { awk -v t=$(getconf CLK_TCK) '{printf "%.1f", ($14+$15)/t}' /proc/$1/stat; }
# heap: Go's own view from the metrics endpoint (live heap after the last
# GC, heap in use, what the runtime holds from the OS).
heap() {
  curl -s http://127.0.0.1:$1/metrics | awk '
    /^go_memstats_heap_inuse_bytes /{inuse=$2} /^go_memstats_sys_bytes /{sys=$2}
    /^go_memstats_next_gc_bytes /{nxt=$2} /^go_goroutines /{g=$2} /^go_gc_duration_seconds_count /{gc=$2}
    END{printf "heap in use %d MiB, next GC at %d MiB, Go sys %d MiB, %d goroutines, %d GC cycles", inuse/1048576, nxt/1048576, sys/1048576, g, gc}'
}
# sample PID: VmRSS, RssAnon and RssFile (kB) every 0.2 s into $W/rss.tsv
# until the process exits, so the peak's anonymous and file parts are known
# (VmHWM gives only the total).
sample() {
  while [ -r /proc/$1/status ]; do
    awk -v t=$(date +%s.%N) '/^VmRSS:/{r=$2} /^RssAnon:/{a=$2} /^RssFile:/{f=$2} END{print t, r, a, f}' /proc/$1/status
    sleep 0.2
  done > $W/rss.tsv
}
# peak: the sampled maximum of VmRSS with its anonymous and file parts.
peak() {
  sort -k2 -n $W/rss.tsv | tail -1 | awk '{printf "sampled peak RSS %d MiB (anonymous %d, file %d); max anonymous %s MiB", $2/1024, $3/1024, $4/1024, "'"$(sort -k3 -n $W/rss.tsv | tail -1 | awk '{printf "%d", $3/1024}')"'"}'
}
# RssAnon is the process's own memory; RssFile the pages of the binary
# (and of Badger's files) it touched, shared with the page cache.
report() { # name pid metrics-port
  echo "$1: RSS $(mib $2 VmRSS) MiB (anonymous $(mib $2 RssAnon), file $(mib $2 RssFile)), peak $(mib $2 VmHWM) MiB, CPU $(cputime $2) s; $(heap $3); load $(cut -d' ' -f1-3 /proc/loadavg)"
}
# children: the RSS of a process's children (the agent's podman service).
children() {
  local sum=0; for c in $(cat /proc/$1/task/*/children 2>/dev/null); do sum=$((sum + $(mib $c VmRSS))); done; echo $sum
}
commit() { (cd $W/repo && git add -A && git -c user.name=m -c user.email=m@localhost commit -qm "$1") && $R sync >/dev/null; }
# running NAMESPACE: how many pods are Running.
running() { $R get pods 2>/dev/null | grep -c ' Running '; }

case $MODE in
controller)
  N=$1; D=$2; REPLICAS=$3
  sleep 10; report "controller, no node" $CPID $MPORT
  $BIN agent --simulate $N --simulate-resync-interval 60s --config-file $W/data/admin.conf --data $W/sim \
    --metrics-listen "" > $W/sim.log 2>&1 &
  PIDS+=($!)
  for i in $(seq 300); do [ "$($R get nodes 2>/dev/null | grep -c ' Ready ')" -ge "$N" ] && break; sleep 2; done
  sleep 20; report "controller, $N nodes Ready" $CPID $MPORT
  for d in $(seq $D); do cat > $W/repo/web-$d.yaml <<Y
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-$d, namespace: default}
spec:
  replicas: $REPLICAS
  selector: {matchLabels: {app: web-$d}}
  template:
    metadata: {labels: {app: web-$d}}
    spec:
      containers: [{name: web, image: localhost/reconcile-hello:v1, imagePullPolicy: IfNotPresent}]
Y
  done
  sample $CPID & PIDS+=($!)
  T0=$(date +%s.%N); commit "$D deployments"
  want=$((D * REPLICAS))
  for i in $(seq 300); do n=$(running); [ "$n" -ge "$want" ] && break; sleep 2; done
  echo "commit -> $n/$want pods Running: $(echo "$(date +%s.%N)-$T0" | bc) s"
  sleep 30; report "controller, $N nodes, $n pods Running, 30 s later" $CPID $MPORT
  sleep 60; report "controller, $N nodes, $n pods Running, 90 s later" $CPID $MPORT
  echo "controller, from the commit on: $(peak)"
  curl -s -o $W/heap.pb.gz http://127.0.0.1:$MPORT/debug/pprof/heap
  go tool pprof -sample_index=inuse_space -top -nodecount=25 $BIN $W/heap.pb.gz 2>/dev/null | sed -n '1,32p' > $W/heap-top.txt
  echo "heap profile: $W/heap-top.txt"
  ;;
agent)
  PODS=$1
  $BIN node credentials mem-node --data $W/data > $W/node.conf
  echo "agent binary: $AGENT_BIN, $(( $(stat -c %s $AGENT_BIN) / 1048576 )) MiB"
  $AGENT_BIN agent --config-file $W/node.conf --node mem-node --data $W/agent --metrics-listen 127.0.0.1:$AMPORT \
    --listen-logs 127.0.0.1:$((PORT + 3)) --ingress-http-port $((PORT + 4)) --ingress-https-port $((PORT + 5)) > $W/agent.log 2>&1 &
  APID=$!; PIDS+=($APID)
  for i in $(seq 120); do $R get nodes 2>/dev/null | grep -q 'mem-node.* Ready ' && break; sleep 1; done
  kill -0 $APID 2>/dev/null || { echo "agent exited: $(tail -1 $W/agent.log)"; exit 3; }
  sleep 30; report "agent, no pod" $APID $AMPORT; echo "its podman service: RSS $(children $APID) MiB"
  cat > $W/repo/web.yaml <<Y
apiVersion: apps/v1
kind: Deployment
metadata: {name: mem-web, namespace: default}
spec:
  replicas: $PODS
  selector: {matchLabels: {app: mem-web}}
  template:
    metadata: {labels: {app: mem-web}}
    spec:
      containers: [{name: web, image: localhost/reconcile-hello:v1, imagePullPolicy: IfNotPresent}]
Y
  T0=$(date +%s.%N); commit "$PODS pods"
  for i in $(seq 300); do n=$(running); [ "$n" -ge "$PODS" ] && break; sleep 2; done
  echo "commit -> $n/$PODS pods Running: $(echo "$(date +%s.%N)-$T0" | bc) s"
  sleep 30; report "agent, $n pods Running" $APID $AMPORT; echo "its podman service: RSS $(children $APID) MiB"
  report "controller (1 agent, $n pods)" $CPID $MPORT
  curl -s -o $W/agent-heap.pb.gz http://127.0.0.1:$AMPORT/debug/pprof/heap
  go tool pprof -sample_index=inuse_space -top -nodecount=25 $AGENT_BIN $W/agent-heap.pb.gz 2>/dev/null | sed -n '1,32p' > $W/agent-heap-top.txt
  echo "heap profile: $W/agent-heap-top.txt"
  # the pods go with the Deployment before the agent stops
  rm $W/repo/web.yaml; commit "no pods"
  for i in $(seq 120); do [ "$(running)" -eq 0 ] && break; sleep 2; done
  kill $APID; wait $APID; $AGENT_BIN agent --cleanup >/dev/null 2>&1
  ;;
esac
echo "W=$W"
