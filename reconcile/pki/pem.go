package pki

import (
	"encoding/pem"
	"fmt"
)

func pemEncode(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// pemBlock is the DER of the first PEM block of type typ in b.
func pemBlock(b []byte, typ string) ([]byte, error) {
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return nil, fmt.Errorf("no PEM %q block found", typ)
		}
		if block.Type == typ {
			return block.Bytes, nil
		}
	}
}
