package proxy

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// nftRuleExprs compiles one rule of the renderer, in nft syntax, to the
// kernel's expressions, as `nft` 1.0.6 compiles it (registers, payload
// lengths and byte orders as `nft --debug=netlink` prints them, so `nft
// list` shows the same rule whichever wrote it; TestNFTNetlinkListsAsNFT
// checks each golden file). It knows only the forms RenderNFT and
// nftFixedChains write; anything else is an error naming the rule, not a
// guess. setID gives the batch-local id of a set created in the same
// batch (0: an existing set, found by name).
func nftRuleExprs(rule string, setID func(string) uint32) ([]expr.Any, []byte, error) {
	var udata []byte
	if i := strings.Index(rule, ` comment "`); i >= 0 && strings.HasSuffix(rule, `"`) {
		udata = userdata.AppendString(nil, userdata.TypeComment, rule[i+len(` comment "`):len(rule)-1])
		rule = rule[:i]
	}
	c := nftCompiler{toks: strings.Fields(rule), setID: setID}
	if err := c.compile(); err != nil {
		return nil, nil, fmt.Errorf("nftables rule %q: %w", rule, err)
	}
	return c.out, udata, nil
}

type nftCompiler struct {
	toks  []string
	i     int
	out   []expr.Any
	setID func(string) uint32
}

func (c *nftCompiler) next() string {
	if c.i >= len(c.toks) {
		return ""
	}
	c.i++
	return c.toks[c.i-1]
}

func (c *nftCompiler) peek() string {
	if c.i >= len(c.toks) {
		return ""
	}
	return c.toks[c.i]
}

// expect consumes words, or fails naming the first that differs.
func (c *nftCompiler) expect(words ...string) error {
	for _, w := range words {
		if got := c.next(); got != w {
			return fmt.Errorf("want %q, got %q", w, got)
		}
	}
	return nil
}

func (c *nftCompiler) emit(e ...expr.Any) { c.out = append(c.out, e...) }

func u32(v uint32) []byte { return binaryutil.NativeEndian.PutUint32(v) }

// bitsSet: reg1 = (reg1 & mask) ^ xor, then reg1 != 0 (ct state / status).
func (c *nftCompiler) bitsSet(mask uint32) {
	c.emit(&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: u32(mask), Xor: u32(0)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: u32(0)})
}

func (c *nftCompiler) compile() error {
	for c.i < len(c.toks) {
		switch w := c.next(); w {
		case "ct":
			switch c.next() {
			case "state":
				if err := c.expect("new"); err != nil {
					return err
				}
				c.emit(&expr.Ct{Register: 1, Key: expr.CtKeySTATE})
				c.bitsSet(0x8) // NF_CT_STATE_BIT(IP_CT_NEW)
			case "status":
				if err := c.expect("dnat"); err != nil {
					return err
				}
				c.emit(&expr.Ct{Register: 1, Key: expr.CtKeySTATUS})
				c.bitsSet(0x20) // IPS_DST_NAT
			default:
				return fmt.Errorf("unknown ct match")
			}
		case "ip", "meta", "th":
			c.i--
			if err := c.match(); err != nil {
				return err
			}
		case "fib":
			f := &expr.Fib{Register: 1, ResultADDRTYPE: true}
			switch c.next() {
			case "saddr":
				f.FlagSADDR = true
			case "daddr":
				f.FlagDADDR = true
			default:
				return fmt.Errorf("unknown fib address")
			}
			if err := c.expect("type", "local"); err != nil {
				return err
			}
			c.emit(f, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: u32(unix.RTN_LOCAL)})
		case "numgen":
			if err := c.expect("random", "mod"); err != nil {
				return err
			}
			mod, err1 := strconv.ParseUint(c.next(), 10, 32)
			val, err2 := strconv.ParseUint(c.next(), 10, 32)
			if err1 != nil || err2 != nil || mod == 0 {
				return fmt.Errorf("numgen wants `random mod N VALUE`")
			}
			c.emit(&expr.Numgen{Register: 1, Modulus: uint32(mod), Type: unix.NFT_NG_RANDOM},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: u32(uint32(val))})
		case "mark":
			if err := c.mark(); err != nil {
				return err
			}
		case "jump", "goto":
			kind := expr.VerdictJump
			if w == "goto" {
				kind = expr.VerdictGoto
			}
			name := c.next()
			if name == "" {
				return fmt.Errorf("%s without a chain", w)
			}
			c.emit(&expr.Verdict{Kind: kind, Chain: name})
		case "return":
			c.emit(&expr.Verdict{Kind: expr.VerdictReturn})
		case "drop":
			c.emit(&expr.Verdict{Kind: expr.VerdictDrop})
		case "dnat":
			if c.peek() == "ip" {
				if err := c.dnatMap(); err != nil {
					return err
				}
				continue
			}
			if err := c.expect("to"); err != nil {
				return err
			}
			ap, err := netip.ParseAddrPort(c.next())
			if err != nil || !ap.Addr().Is4() {
				return fmt.Errorf("dnat wants an IPv4 address:port")
			}
			a := ap.Addr().As4()
			c.emit(&expr.Immediate{Register: 1, Data: a[:]},
				&expr.Immediate{Register: 2, Data: binaryutil.BigEndian.PutUint16(ap.Port())},
				&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2, Specified: true})
		case "masquerade":
			m := &expr.Masq{}
			if c.peek() == "fully-random" {
				c.next()
				m.FullyRandom = true
			}
			c.emit(m)
		case "reject":
			c.emit(&expr.Reject{Type: unix.NFT_REJECT_ICMP_UNREACH, Code: 3}) // ICMP port unreachable, as nft's plain reject
		case "update":
			set, ok := strings.CutPrefix(c.next(), "@")
			if !ok {
				return fmt.Errorf("update wants @set")
			}
			if err := c.expect("{", "ip", "saddr", "}"); err != nil {
				return err
			}
			c.emit(&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
				&expr.Dynset{SrcRegKey: 1, SetName: set, SetID: c.setID(set), Operation: unix.NFT_DYNSET_OP_UPDATE})
		default:
			return fmt.Errorf("unknown word %q", w)
		}
	}
	return nil
}

// nftField is one selector of a match: where it loads from and how long
// its value is.
type nftField struct {
	load func(reg uint32) expr.Any
	len  uint32
	ip   bool // an IPv4 address (prefixes allowed)
}

func (c *nftCompiler) field() (nftField, error) {
	switch a, b := c.next(), c.next(); a + " " + b {
	case "ip saddr", "ip daddr":
		off := uint32(12)
		if b == "daddr" {
			off = 16
		}
		return nftField{load: func(r uint32) expr.Any {
			return &expr.Payload{DestRegister: r, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: 4}
		}, len: 4, ip: true}, nil
	case "meta l4proto":
		return nftField{load: func(r uint32) expr.Any { return &expr.Meta{Key: expr.MetaKeyL4PROTO, Register: r} }, len: 1}, nil
	case "numgen random":
		if err := c.expect("mod"); err != nil {
			return nftField{}, err
		}
		mod, err := strconv.ParseUint(c.next(), 10, 32)
		if err != nil || mod == 0 {
			return nftField{}, fmt.Errorf("numgen wants `random mod N`")
		}
		return nftField{load: func(r uint32) expr.Any {
			return &expr.Numgen{Register: r, Modulus: uint32(mod), Type: unix.NFT_NG_RANDOM}
		}, len: 4}, nil
	case "th dport":
		return nftField{load: func(r uint32) expr.Any {
			return &expr.Payload{DestRegister: r, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2}
		}, len: 2}, nil
	}
	return nftField{}, fmt.Errorf("unknown selector")
}

// loadFields reads `sel [. sel …]` and loads it: the parts of a
// concatenation go to consecutive 32-bit registers (reg 1, then 9, 10, …
// as nft numbers them), each part padded to 4 bytes.
func (c *nftCompiler) loadFields() ([]nftField, error) {
	var fields []nftField
	for {
		f, err := c.field()
		if err != nil {
			return nil, err
		}
		fields = append(fields, f)
		if c.peek() != "." {
			break
		}
		c.next()
	}
	word := uint32(0)
	for _, f := range fields {
		reg := uint32(1)
		if word > 0 {
			reg = unix.NFT_REG32_00 + word
		}
		c.emit(f.load(reg))
		word += (f.len + 3) / 4
	}
	return fields, nil
}

// dnatMap compiles `dnat ip to KEY map @m`: the map gives address and
// port (reg 1 and reg 9), as nft compiles it (no flags: the kernel sets
// "proto specified" itself when a port register is given).
func (c *nftCompiler) dnatMap() error {
	if err := c.expect("ip", "to"); err != nil {
		return err
	}
	if _, err := c.loadFields(); err != nil {
		return err
	}
	if err := c.expect("map"); err != nil {
		return err
	}
	set, ok := strings.CutPrefix(c.next(), "@")
	if !ok {
		return fmt.Errorf("map wants @map")
	}
	c.emit(&expr.Lookup{SourceRegister: 1, DestRegister: 1, IsDestRegSet: true, SetName: set, SetID: c.setID(set)},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: unix.NFT_REG32_01})
	return nil
}

// match compiles `sel [. sel …] (@set | vmap @map | [!=] value)`. The
// parts of a concatenation go to consecutive 32-bit registers (reg 1, then
// 9, 10, … as nft numbers them), each part padded to 4 bytes.
func (c *nftCompiler) match() error {
	fields, err := c.loadFields()
	if err != nil {
		return err
	}
	switch t := c.next(); {
	case strings.HasPrefix(t, "@"):
		c.emit(&expr.Lookup{SourceRegister: 1, SetName: t[1:], SetID: c.setID(t[1:])})
		return nil
	case t == "vmap":
		set, ok := strings.CutPrefix(c.next(), "@")
		if !ok {
			return fmt.Errorf("vmap wants @map")
		}
		c.emit(&expr.Lookup{SourceRegister: 1, DestRegister: 0, IsDestRegSet: true, SetName: set, SetID: c.setID(set)})
		return nil
	case len(fields) != 1:
		return fmt.Errorf("a concatenation only looks up a set")
	case t == "!=":
		return c.compare(fields[0], expr.CmpOpNeq, c.next())
	default:
		return c.compare(fields[0], expr.CmpOpEq, t)
	}
}

// compare matches the field in reg 1 against value: a protocol name, an
// address or a prefix (a whole-byte prefix loads fewer bytes, a partial
// one masks, as nft does).
func (c *nftCompiler) compare(f nftField, op expr.CmpOp, value string) error {
	if !f.ip {
		proto, ok := map[string]byte{"tcp": unix.IPPROTO_TCP, "udp": unix.IPPROTO_UDP, "sctp": unix.IPPROTO_SCTP}[value]
		if f.len != 1 || !ok {
			return fmt.Errorf("cannot compare with %q", value)
		}
		c.emit(&expr.Cmp{Op: op, Register: 1, Data: []byte{proto}})
		return nil
	}
	p, err := netip.ParsePrefix(value)
	if err != nil {
		a, aerr := netip.ParseAddr(value)
		if aerr != nil {
			return fmt.Errorf("not an address or prefix: %q", value)
		}
		p = netip.PrefixFrom(a, 32)
	}
	if !p.Addr().Is4() {
		return fmt.Errorf("not an IPv4 address or prefix: %q", value)
	}
	p = p.Masked()
	a := p.Addr().As4()
	ones := p.Bits()
	load := c.out[len(c.out)-1].(*expr.Payload)
	switch {
	case ones == 0 && op == expr.CmpOpEq:
		c.out = c.out[:len(c.out)-1] // matches every address (loadBalancerSourceRanges 0.0.0.0/0): no match at all
	case ones == 0:
		return fmt.Errorf("a /0 prefix that must not match matches nothing: %q", value)
	case ones%8 == 0:
		load.Len = uint32(ones / 8)
		c.emit(&expr.Cmp{Op: op, Register: 1, Data: a[:ones/8]})
	default:
		mask := binary.BigEndian.AppendUint32(nil, ^uint32(0)<<(32-ones))
		c.emit(&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: make([]byte, 4)},
			&expr.Cmp{Op: op, Register: 1, Data: a[:]})
	}
	return nil
}

// mark compiles `mark set mark or|xor X` and `mark and X == 0`.
func (c *nftCompiler) mark() error {
	parse := func() (uint32, error) {
		v, err := strconv.ParseUint(c.next(), 0, 32)
		return uint32(v), err
	}
	load := &expr.Meta{Key: expr.MetaKeyMARK, Register: 1}
	switch c.next() {
	case "set":
		if err := c.expect("mark"); err != nil {
			return err
		}
		op := c.next()
		v, err := parse()
		if err != nil || (op != "or" && op != "xor") {
			return fmt.Errorf("want `mark set mark or|xor VALUE`")
		}
		mask := ^v
		if op == "xor" {
			mask = ^uint32(0)
		}
		c.emit(load, &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: u32(mask), Xor: u32(v)},
			&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: 1})
	case "and":
		v, err := parse()
		if err != nil {
			return err
		}
		if err := c.expect("==", "0"); err != nil {
			return err
		}
		c.emit(load, &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: u32(v), Xor: u32(0)},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: u32(0)})
	default:
		return fmt.Errorf("unknown mark statement")
	}
	return nil
}

// nftKeyParts are the kinds of the parts of each map's keys (a: IPv4
// address, p: protocol, s: port, i: index from numgen) and of
// service-endpoints' values.
var nftKeyParts = map[string]string{
	nftServiceIPs: "aps", nftNoEndpointSvcs: "aps", nftServiceNodePorts: "ps", nftNoEndpointNodePts: "ps",
	nftHairpin: "aa", nftServiceEndpoints: "apsi", nftServiceEndpoints + ":value": "as",
}

// nftElementKey appends an element's key (or value) parts, each padded
// to 4 bytes as the kernel lays out concatenations: addresses and ports
// in network order, the numgen index in the host's.
func nftElementKey(key []byte, kinds string, parts []string) ([]byte, error) {
	if len(kinds) != len(parts) {
		return nil, fmt.Errorf("element %q: want %d parts", strings.Join(parts, " . "), len(kinds))
	}
	for i, p := range parts {
		switch kinds[i] {
		case 'a':
			a, err := netip.ParseAddr(p)
			if err != nil || !a.Is4() {
				return nil, fmt.Errorf("element part %q: not an IPv4 address", p)
			}
			b := a.As4()
			key = append(key, b[:]...)
		case 'p':
			proto, ok := map[string]byte{"tcp": unix.IPPROTO_TCP, "udp": unix.IPPROTO_UDP, "sctp": unix.IPPROTO_SCTP}[p]
			if !ok {
				return nil, fmt.Errorf("element part %q: not tcp, udp or sctp", p)
			}
			key = append(key, proto, 0, 0, 0)
		case 's':
			port, err := strconv.ParseUint(p, 10, 16)
			if err != nil {
				return nil, fmt.Errorf("element part %q: not a port", p)
			}
			key = append(key, byte(port>>8), byte(port), 0, 0)
		case 'i':
			n, err := strconv.ParseUint(p, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("element part %q: not an index", p)
			}
			key = binary.NativeEndian.AppendUint32(key, uint32(n))
		}
	}
	return key, nil
}

// nftVerdict is the verdict of a map element ("goto CHAIN", "drop").
func nftVerdict(v string) (*expr.Verdict, error) {
	switch kind, chain, _ := strings.Cut(v, " "); kind {
	case "goto":
		return &expr.Verdict{Kind: expr.VerdictGoto, Chain: chain}, nil
	case "jump":
		return &expr.Verdict{Kind: expr.VerdictJump, Chain: chain}, nil
	case "drop":
		return &expr.Verdict{Kind: expr.VerdictDrop}, nil
	case "accept":
		return &expr.Verdict{Kind: expr.VerdictAccept}, nil
	}
	return nil, fmt.Errorf("unknown verdict %q", v)
}

// nftSetTypes are the key types of the table's fixed maps and sets.
var nftSetTypes = map[string]nftables.SetDatatype{
	nftServiceIPs:        nftables.MustConcatSetType(nftables.TypeIPAddr, nftables.TypeInetProto, nftables.TypeInetService),
	nftNoEndpointSvcs:    nftables.MustConcatSetType(nftables.TypeIPAddr, nftables.TypeInetProto, nftables.TypeInetService),
	nftServiceNodePorts:  nftables.MustConcatSetType(nftables.TypeInetProto, nftables.TypeInetService),
	nftNoEndpointNodePts: nftables.MustConcatSetType(nftables.TypeInetProto, nftables.TypeInetService),
	nftHairpin:           nftables.MustConcatSetType(nftables.TypeIPAddr, nftables.TypeIPAddr),
	nftServiceEndpoints:  nftables.MustConcatSetType(nftables.TypeIPAddr, nftables.TypeInetProto, nftables.TypeInetService, nftables.TypeInteger),
}

// nftEndpointType is service-endpoints' value type (address . port).
var nftEndpointType = nftables.MustConcatSetType(nftables.TypeIPAddr, nftables.TypeInetService)
