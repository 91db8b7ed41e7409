package etcdtest

import (
	"context"
	"testing"
	"time"
)

func TestStartClusterServesWrites(t *testing.T) {
	c := StartCluster(t, 3)
	cli := c.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := cli.Put(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	c.Members[0].Stop()
	r, err := cli.Get(ctx, "k")
	if err != nil || len(r.Kvs) != 1 || string(r.Kvs[0].Value) != "v" {
		t.Fatalf("get after stopping one member: %v %v", r, err)
	}
}

func TestRestartedMemberRejoins(t *testing.T) {
	c := StartCluster(t, 3)
	cli := c.Client(t)
	c.Members[1].Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := cli.Put(ctx, "k", "v2"); err != nil {
		t.Fatal(err)
	}
	if err := c.Members[1].Restart(); err != nil {
		t.Fatal(err)
	}
	c.Members[0].Stop()
	c.Members[2].Stop()
	c.Members[0].Restart()
	r, err := cli.Get(ctx, "k")
	if err != nil || string(r.Kvs[0].Value) != "v2" {
		t.Fatalf("after restarts: %v %v", r, err)
	}
}
