package agent

import "testing"

func TestOOMKillRecord(t *testing.T) {
	id := "e140363019512fbefc981d313c1e9d3bbdee202a8978c3e763c891d013f6deb4"
	ids := map[string]bool{}
	for _, rec := range []string{
		"6,1234,2411734688,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=libpod-" + id + ",mems_allowed=0,oom_memcg=/libpod_parent/libpod-" + id + ",task_memcg=/libpod_parent/libpod-" + id + ",task=testprog,pid=15025,uid=0",
		"6,1235,2411734733,-;Memory cgroup out of memory: Killed process 15025 (testprog)",
		"6,1236,2411734733,-;oom-kill:constraint=CONSTRAINT_NONE,task_memcg=/system.slice/foo.service,task=foo,pid=1,uid=0",
	} {
		oomKillRecord(rec, ids)
	}
	if len(ids) != 1 || !ids[id] {
		t.Errorf("containers found: %v, want only %s", ids, id)
	}
}
