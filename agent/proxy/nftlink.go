package proxy

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/userdata"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
	"sigs.k8s.io/knftables"
)

// NFTWriter writes table ip reconcile: the nftables mode's I/O, behind
// which the Proxier keeps what it programmed (the previous NFTRuleset).
type NFTWriter interface {
	// Write brings the table from prev (nil: whatever it holds, or
	// nothing; it is then replaced whole) to next in one transaction and
	// returns the number of operations sent (0: nothing to change).
	Write(ctx context.Context, next NFTRuleset, prev *NFTRuleset) (int, error)
	// Delete removes the table, if there is one.
	Delete(ctx context.Context) error
}

// NewNFTables is the real nftables writer: netlink to the kernel of the
// agent's network namespace, no `nft` binary (NFTNetlink).
func NewNFTables() (NFTWriter, error) { return &NFTNetlink{}, nil }

// NFTKnftables writes through a knftables.Interface: the `nft` binary
// (knftables.New) or knftables' fake in tests. Every nft run parses its
// whole input and first dumps the table into its cache, which is why
// the agent uses NFTNetlink (BENCHMARKS.md, issue 13).
type NFTKnftables struct{ knftables.Interface }

// Write implements NFTWriter with one knftables transaction.
func (k NFTKnftables) Write(ctx context.Context, next NFTRuleset, prev *NFTRuleset) (int, error) {
	tx := k.NewTransaction()
	NFTTransaction(tx, next, prev)
	if tx.NumOperations() == 0 {
		return 0, nil
	}
	return tx.NumOperations(), k.Run(ctx, tx)
}

// Delete implements NFTWriter.
func (k NFTKnftables) Delete(ctx context.Context) error {
	tx := k.NewTransaction()
	tx.Add(&knftables.Table{}) // so the delete cannot fail on a missing table
	tx.Delete(&knftables.Table{})
	return k.Run(ctx, tx)
}

// NFTNetlink writes table ip reconcile over netlink (NETLINK_NETFILTER),
// one batch per sync: a batch is one kernel transaction, as one `nft -f`
// is, without parsing text and without reading the table back. The
// messages are built by github.com/google/nftables (its Conn buffers
// them; they are captured instead of sent, see capture) and sent by
// this writer with an acknowledgement asked for the last message only:
// the library asks one per message (and an echo per rule), which at
// 30,000 messages costs 60,000 reads and overflows the socket's buffer.
type NFTNetlink struct {
	// NetNS is a file descriptor of the network namespace to write in
	// (0: the agent's own; tests use a private one).
	NetNS int
	// Last describes the last batch sent (benchmarks).
	Last NFTWriteStats
}

// NFTWriteStats splits a netlink write: building the messages (after
// the diff) and the kernel's part, from sendmsg to its acknowledgement
// (the transaction's checks and commit).
type NFTWriteStats struct {
	Build, Kernel time.Duration
	Bytes         int
}

// Write implements NFTWriter.
func (w *NFTNetlink) Write(ctx context.Context, next NFTRuleset, prev *NFTRuleset) (int, error) {
	b := newNFTBatch()
	nftDiff(b, next, prev)
	if b.ops == 0 {
		return 0, nil
	}
	if b.err != nil {
		return b.ops, b.err
	}
	return b.ops, w.send(ctx, b)
}

// Delete implements NFTWriter. A kernel without nf_tables has no table
// to delete (the iptables mode's first sync calls this too).
func (w *NFTNetlink) Delete(ctx context.Context) error {
	b := newNFTBatch()
	b.conn.AddTable(b.table)
	b.lib()
	b.conn.DelTable(b.table)
	b.lib()
	b.ops = 2
	err := w.send(ctx, b)
	if errors.Is(err, unix.EPROTONOSUPPORT) || errors.Is(err, unix.EAFNOSUPPORT) {
		return nil
	}
	return err
}

// maxElementsPerMessage bounds a NEWSETELEM message: its element list
// is one netlink attribute, whose length is 16 bits.
const maxElementsPerMessage = 256

// nftBatch collects a sync's operations (nftOps) as netlink messages.
type nftBatch struct {
	conn  *nftables.Conn
	table *nftables.Table
	sets  map[string]*nftables.Set // created in this batch, by name
	ops   int
	err   error

	// Consecutive element operations on one set become one message.
	pendingBuf  []byte // the elements' attributes, one after the other
	pendingEnds []int  // where each ends in pendingBuf
	pendingOn   string
	pendingOp   int // 1 add, -1 delete

	captured []netlink.Message // the batch, as the library would send it
	// The batch's messages in order: those built here, and a zero
	// message for each the library built (taken from captured).
	order []netlink.Message
}

func newNFTBatch() *nftBatch {
	b := &nftBatch{table: &nftables.Table{Name: NFTTable, Family: nftables.TableFamilyIPv4}, sets: map[string]*nftables.Set{}}
	// A Conn that never dials: its Flush hands the batch to this
	// function (then reads answers, which it gets none of), see capture.
	b.conn, _ = nftables.New(nftables.WithTestDial(func(req []netlink.Message) ([]netlink.Message, error) {
		if req != nil && b.captured == nil {
			b.captured = req
		}
		return nil, nil
	}))
	return b
}

func (b *nftBatch) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// setID is the batch-local id of a set created in this batch (rules may
// refer to it before the kernel knows its name); 0 for existing sets.
func (b *nftBatch) setID(name string) uint32 {
	if s, ok := b.sets[name]; ok {
		return s.ID
	}
	return 0
}

func (b *nftBatch) set(name string) *nftables.Set {
	if s, ok := b.sets[name]; ok {
		return s
	}
	s := &nftables.Set{Table: b.table, Name: name}
	if t, ok := nftSetTypes[name]; ok {
		s.KeyType, s.Concatenation = t, true
		s.IsMap, s.DataType = name != nftHairpin, nftables.TypeVerdict
		if name == nftServiceEndpoints {
			s.DataType = nftEndpointType
		}
	} else { // an affinity set
		s.KeyType, s.HasTimeout = nftables.TypeIPAddr, true
	}
	return s
}

// lib notes that the library's Conn took the next message of the batch.
func (b *nftBatch) lib() { b.order = append(b.order, netlink.Message{}) }

// endElements writes the pending element operations, in messages of at
// most maxElementsPerMessage elements. They are marshalled here, not by
// the library, whose per-element attribute building was a fifth of a
// full sync's CPU at 30,000 elements: into one buffer as they come
// (elementAttrs), copied once into each message.
func (b *nftBatch) endElements() {
	if len(b.pendingEnds) == 0 {
		return
	}
	typ, flags := unix.NFT_MSG_NEWSETELEM, netlink.Request|netlink.Create
	if b.pendingOp < 0 {
		typ, flags = unix.NFT_MSG_DELSETELEM, netlink.Request
	}
	start := 0
	for i := 0; i < len(b.pendingEnds); i += maxElementsPerMessage {
		end := b.pendingEnds[min(i+maxElementsPerMessage, len(b.pendingEnds))-1]
		list := b.pendingBuf[start:end]
		data := make([]byte, 0, 4+3*8+len(NFTTable)+len(b.pendingOn)+8+4+len(list))
		data = append(data, unix.NFPROTO_IPV4, 0, 0, 0)
		data = nlAttr(data, unix.NFTA_SET_ELEM_LIST_TABLE, []byte(NFTTable+"\x00"))
		data = nlAttr(data, unix.NFTA_SET_ELEM_LIST_SET, []byte(b.pendingOn+"\x00"))
		if id := b.setID(b.pendingOn); id != 0 {
			data = nlAttr(data, unix.NFTA_SET_ELEM_LIST_SET_ID, binary.BigEndian.AppendUint32(nil, id))
		}
		data = nlAttr(data, unix.NFTA_SET_ELEM_LIST_ELEMENTS|unix.NLA_F_NESTED, list)
		b.order = append(b.order, netlink.Message{
			Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | typ), Flags: flags}, Data: data})
		start = end
	}
	b.pendingBuf, b.pendingEnds = b.pendingBuf[:0], b.pendingEnds[:0]
}

// nlAttr appends a netlink attribute (padded to 4 bytes).
func nlAttr(buf []byte, typ uint16, data []byte) []byte {
	buf = binary.NativeEndian.AppendUint16(buf, uint16(4+len(data)))
	buf = binary.NativeEndian.AppendUint16(buf, typ)
	buf = append(buf, data...)
	for len(buf)%4 != 0 {
		buf = append(buf, 0)
	}
	return buf
}

// nlNest starts a nested attribute; nlEnd sets its length when its
// contents are appended.
func nlNest(buf []byte, typ uint16) ([]byte, int) {
	return binary.NativeEndian.AppendUint16(binary.NativeEndian.AppendUint16(buf, 0), typ|unix.NLA_F_NESTED), len(buf)
}

func nlEnd(buf []byte, at int) []byte {
	binary.NativeEndian.PutUint16(buf[at:], uint16(len(buf)-at))
	return buf
}

// elementAttrs appends one element (the attribute numbered index within
// its message, holding its key and, for a map, its data: a verdict, or
// service-endpoints' address . port) to buf.
func elementAttrs(buf []byte, index uint16, e NFTElement, withData bool) ([]byte, error) {
	buf, el := nlNest(buf, index)
	buf, key := nlNest(buf, unix.NFTA_SET_ELEM_KEY)
	buf, val := nlNest(buf, unix.NFTA_DATA_VALUE)
	buf, err := nftElementKey(buf, nftKeyParts[e.Map], e.Key)
	if err != nil {
		return nil, err
	}
	binary.NativeEndian.PutUint16(buf[val+2:], unix.NFTA_DATA_VALUE) // a value, not nested
	buf = nlEnd(nlEnd(buf, val), key)
	switch {
	case !withData || e.Value == "":
	case e.Map == nftServiceEndpoints:
		var data, v int
		buf, data = nlNest(buf, unix.NFTA_SET_ELEM_DATA)
		buf, v = nlNest(buf, unix.NFTA_DATA_VALUE)
		if buf, err = nftElementKey(buf, nftKeyParts[e.Map+":value"], strings.Split(e.Value, " . ")); err != nil {
			return nil, err
		}
		binary.NativeEndian.PutUint16(buf[v+2:], unix.NFTA_DATA_VALUE)
		buf = nlEnd(nlEnd(buf, v), data)
	default:
		vd, err := nftVerdict(e.Value)
		if err != nil {
			return nil, err
		}
		var data, verdict int
		buf, data = nlNest(buf, unix.NFTA_SET_ELEM_DATA)
		buf, verdict = nlNest(buf, unix.NFTA_DATA_VERDICT)
		buf = nlAttr(buf, unix.NFTA_VERDICT_CODE, binary.BigEndian.AppendUint32(nil, uint32(vd.Kind)))
		if vd.Chain != "" {
			buf = nlAttr(buf, unix.NFTA_VERDICT_CHAIN, []byte(vd.Chain+"\x00"))
		}
		buf = nlEnd(nlEnd(buf, verdict), data)
	}
	return nlEnd(buf, el), nil
}

// op counts one operation and ends a run of element operations.
func (b *nftBatch) op() {
	b.ops++
	b.endElements()
}

const nftaTableUserdata = 6 // NFTA_TABLE_USERDATA (linux/netfilter/nf_tables.h), not in x/sys/unix

// nftEndpointsTypeof is the set userdata nft 1.0.6 writes for
// service-endpoints' `typeof ip daddr . meta l4proto . th dport . numgen
// random mod 1 : ip daddr . th dport` (read back from the kernel after
// `nft -f` of a golden file). nft needs it to list the map: the numgen
// part's type, integer, has no length of its own.
var nftEndpointsTypeof, _ = hex.DecodeString("000400000000010400000000036000040d00000001580014000407000000010c00040c00000001040c000000010e00040900000001060004100000000214000407000000010c00040b000000010402000000031a0004170000000112000401000000010401000000020400000000043400040d000000012c0014000407000000010c00040c00000001040c0000000114000407000000010c00040b000000010402000000060400000000")

var nftTableComment = userdata.AppendString(nil, 0 /* NFTNL_UDATA_TABLE_COMMENT */, "rules for reconcile's service proxy (reconcile agent --cleanup removes them)")

func (b *nftBatch) resetTable() {
	b.ops += 3
	b.conn.AddTable(b.table)
	b.lib()
	b.conn.DelTable(b.table)
	b.lib()
	b.conn.AddTable(b.table) // its comment is added in capture
	b.lib()
}

func (b *nftBatch) addChain(c NFTChain) {
	b.op()
	ch := &nftables.Chain{Name: c.Name, Table: b.table}
	if c.Base != nil {
		t, h, p, err := nftBaseChain(*c.Base)
		if err != nil {
			b.fail(err)
			return
		}
		ch.Type, ch.Hooknum, ch.Priority = t, h, p
	}
	b.conn.AddChain(ch)
	b.lib()
}

func (b *nftBatch) flushChain(name string) {
	b.op()
	b.conn.FlushChain(&nftables.Chain{Name: name, Table: b.table})
	b.lib()
}

func (b *nftBatch) deleteChain(name string) {
	b.op()
	b.conn.DelChain(&nftables.Chain{Name: name, Table: b.table})
	b.lib()
}

func (b *nftBatch) addFixedSets() {
	for _, name := range []string{nftServiceIPs, nftServiceNodePorts, nftNoEndpointSvcs, nftNoEndpointNodePts, nftServiceEndpoints, nftHairpin} {
		b.op()
		s := b.set(name)
		if err := b.conn.AddSet(s, nil); err != nil {
			b.fail(fmt.Errorf("set %s: %w", name, err))
		}
		b.lib()
		b.sets[name] = s
	}
}

func (b *nftBatch) addSet(s NFTSet) {
	b.op()
	ns := b.set(s.Name)
	ns.Dynamic, ns.Timeout = true, time.Duration(s.Timeout)*time.Second
	if err := b.conn.AddSet(ns, nil); err != nil {
		b.fail(fmt.Errorf("set %s: %w", s.Name, err))
	}
	b.lib()
	b.sets[s.Name] = ns
}

func (b *nftBatch) deleteSet(name string) {
	b.op()
	b.conn.DelSet(b.set(name))
	b.lib()
}

func (b *nftBatch) addRule(chain, rule string) {
	b.op()
	exprs, udata, err := nftRuleExprs(rule, b.setID)
	if err != nil {
		b.fail(err)
		return
	}
	b.conn.AddRule(&nftables.Rule{Table: b.table, Chain: &nftables.Chain{Name: chain, Table: b.table}, Exprs: exprs, UserData: udata})
	b.lib()
}

func (b *nftBatch) element(e NFTElement, op int) {
	b.ops++
	if b.pendingOn != e.Map || b.pendingOp != op {
		b.endElements()
		b.pendingOn, b.pendingOp = e.Map, op
	}
	index := uint16(len(b.pendingEnds)%maxElementsPerMessage + 1) // its number in its message
	buf, err := elementAttrs(b.pendingBuf, index, e, op > 0)
	if err != nil {
		b.fail(err)
		return
	}
	b.pendingBuf, b.pendingEnds = buf, append(b.pendingEnds, len(buf))
}

func (b *nftBatch) addElement(e NFTElement)    { b.element(e, 1) }
func (b *nftBatch) deleteElement(e NFTElement) { b.element(e, -1) }

// nftBaseChain maps a base chain's nft words to the library's values.
func nftBaseChain(c NFTBaseChain) (nftables.ChainType, *nftables.ChainHook, *nftables.ChainPriority, error) {
	hooks := map[string]nftables.ChainHook{"prerouting": *nftables.ChainHookPrerouting, "input": *nftables.ChainHookInput,
		"forward": *nftables.ChainHookForward, "output": *nftables.ChainHookOutput, "postrouting": *nftables.ChainHookPostrouting}
	prios := map[string]nftables.ChainPriority{"dstnat": *nftables.ChainPriorityNATDest, "srcnat": *nftables.ChainPriorityNATSource,
		"filter-1": *nftables.ChainPriorityFilter - 1, "filter": *nftables.ChainPriorityFilter}
	h, ok1 := hooks[c.Hook]
	p, ok2 := prios[c.Priority]
	if !ok1 || !ok2 || (c.Type != "nat" && c.Type != "filter") {
		return "", nil, nil, fmt.Errorf("base chain %+v: unknown type, hook or priority", c)
	}
	return nftables.ChainType(c.Type), &h, &p, nil
}

// capture takes the batch's messages from the library's Conn (its Flush
// hands them to the test dialer, which keeps them). The flags are
// rewritten: no echo, no acknowledgement but for the last message (the
// kernel reports a failing message by itself), so the kernel sends one
// answer for the whole batch. The table gets its comment.
func (b *nftBatch) capture() ([]netlink.Message, error) {
	if err := b.conn.Flush(); err != nil {
		return nil, err
	}
	var lib []netlink.Message
	if len(b.captured) > 2 {
		lib = b.captured[1 : len(b.captured)-1] // without the library's batch begin and end
	}
	msgs := make([]netlink.Message, 0, len(b.order)+2)
	begin := netlink.Message{Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_MSG_BATCH_BEGIN), Flags: netlink.Request},
		Data: []byte{unix.AF_UNSPEC, 0, 0, unix.NFNL_SUBSYS_NFTABLES}}
	msgs = append(msgs, begin)
	for _, m := range b.order {
		if m.Header.Type == 0 {
			if len(lib) == 0 {
				return nil, fmt.Errorf("nftables batch: the library built fewer messages than asked for")
			}
			m, lib = lib[0], lib[1:]
		}
		msgs = append(msgs, m)
	}
	if len(lib) != 0 {
		return nil, fmt.Errorf("nftables batch: the library built %d messages more than asked for", len(lib))
	}
	end := begin
	end.Header.Type = netlink.HeaderType(unix.NFNL_MSG_BATCH_END)
	msgs = append(msgs, end)
	newTable := netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_NEWTABLE)
	newSet := netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_NEWSET)
	for i := range msgs {
		m := &msgs[i]
		m.Header.Flags &^= netlink.Acknowledge | unix.NLM_F_ECHO
		m.Header.Length, m.Header.Sequence, m.Header.PID = 0, 0, 0
		switch m.Header.Type {
		case newTable:
			attr, _ := netlink.MarshalAttributes([]netlink.Attribute{{Type: nftaTableUserdata, Data: nftTableComment}})
			m.Data = append(m.Data, attr...)
		case newSet:
			if bytes.Contains(m.Data, []byte(nftServiceEndpoints+"\x00")) {
				attr, _ := netlink.MarshalAttributes([]netlink.Attribute{{Type: unix.NFTA_SET_USERDATA, Data: nftEndpointsTypeof}})
				m.Data = append(m.Data, attr...)
			}
		}
	}
	if len(msgs) > 2 { // batch begin, the operations, batch end
		msgs[len(msgs)-2].Header.Flags |= netlink.Acknowledge
	}
	return msgs, nil
}

// send writes the batch in one sendmsg (the kernel takes a batch from
// one message; the socket's send buffer is raised to its size) and
// waits for the acknowledgement of its last operation, or the first
// error.
func (w *NFTNetlink) send(ctx context.Context, b *nftBatch) error {
	t0 := time.Now()
	w.Last = NFTWriteStats{}
	b.endElements()
	if b.err != nil {
		return b.err
	}
	msgs, err := b.capture()
	if err != nil {
		return fmt.Errorf("nftables batch: %w", err)
	}
	if len(msgs) <= 2 {
		return nil
	}
	size := 0
	for _, m := range msgs {
		size += nlmsgAlign(unix.NLMSG_HDRLEN + len(m.Data))
	}
	conn, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: w.NetNS})
	if err != nil {
		return fmt.Errorf("netlink socket for nftables (needs CAP_NET_ADMIN): %w", err)
	}
	defer conn.Close()
	if err := setSockBuffer(conn, unix.SO_SNDBUFFORCE, size+64<<10); err != nil {
		return err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(time.Minute)
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	buf, last := marshalBatch(msgs)
	w.Last.Build, w.Last.Bytes = time.Since(t0), len(buf)
	t1 := time.Now()
	if err := sendRaw(conn, buf); err != nil {
		return fmt.Errorf("sending %d nftables operations (%d bytes): %w", b.ops, len(buf), err)
	}
	defer func() { w.Last.Kernel = time.Since(t1) }()
	for {
		replies, err := conn.Receive()
		if err != nil {
			var oe *netlink.OpError
			if errors.As(err, &oe) && errors.Is(oe.Err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("no answer from the kernel to %d nftables operations before the deadline", b.ops)
			}
			return fmt.Errorf("the kernel refused the nftables transaction (%d operations; nothing of it applies): %w", b.ops, err)
		}
		for _, r := range replies {
			if r.Header.Type == netlink.Error && r.Header.Sequence == last {
				return nil
			}
		}
	}
}

// marshalBatch lays the messages out as one buffer (netlink headers,
// sequence numbers from 1), sized once: the netlink package's
// SendMessages grows its buffer message by message, which at 30,000
// messages cost more than the kernel's part. It returns the sequence
// number of the last operation (the one acknowledged).
func marshalBatch(msgs []netlink.Message) ([]byte, uint32) {
	size := 0
	for _, m := range msgs {
		size += nlmsgAlign(unix.NLMSG_HDRLEN + len(m.Data))
	}
	buf := make([]byte, 0, size)
	for i, m := range msgs {
		n := unix.NLMSG_HDRLEN + len(m.Data)
		buf = binary.NativeEndian.AppendUint32(buf, uint32(n))
		buf = binary.NativeEndian.AppendUint16(buf, uint16(m.Header.Type))
		buf = binary.NativeEndian.AppendUint16(buf, uint16(m.Header.Flags))
		buf = binary.NativeEndian.AppendUint32(buf, uint32(i+1))
		buf = binary.NativeEndian.AppendUint32(buf, 0)
		buf = append(buf, m.Data...)
		buf = append(buf, make([]byte, nlmsgAlign(n)-n)...)
	}
	return buf, uint32(len(msgs) - 1) // the last operation, before the batch end
}

func nlmsgAlign(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }

// sendRaw sends buf in one sendmsg on conn's socket.
func sendRaw(conn *netlink.Conn, buf []byte) error {
	rc, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	werr := rc.Write(func(fd uintptr) bool {
		serr = unix.Sendto(int(fd), buf, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		return serr != unix.EAGAIN
	})
	if werr != nil {
		return werr
	}
	return serr
}

// setSockBuffer forces a socket buffer size (SO_SNDBUFFORCE needs
// CAP_NET_ADMIN, which writing nftables needs anyway).
func setSockBuffer(conn *netlink.Conn, opt, size int) error {
	rc, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, opt, size) }); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("netlink socket buffer of %d bytes: %w", size, serr)
	}
	return nil
}
