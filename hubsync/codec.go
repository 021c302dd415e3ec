package hubsync

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ContentType of every body: gzip'd JSON.
const ContentType = "application/json"

// ContentEncoding of every body.
const ContentEncoding = "gzip"

// EncodeBody is v as the protocol sends it: JSON, gzip'd.
func EncodeBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return nil, fmt.Errorf("hubsync: encode: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("hubsync: encode: %w", err)
	}
	if buf.Len() > MaxBody {
		return nil, fmt.Errorf("hubsync: body of %d bytes: %w", buf.Len(), ErrTooLarge)
	}
	return buf.Bytes(), nil
}

// DecodeBody reads a body EncodeBody made into v. More than MaxBody bytes,
// or more than MaxPlain once decompressed, is ErrTooLarge; anything not
// gzip'd JSON of one value is ErrMalformed.
func DecodeBody(body []byte, v any) error { return decodeBody(body, MaxBody, MaxPlain, v) }

func decodeBody(body []byte, maxBody, maxPlain int, v any) error {
	if len(body) > maxBody {
		return fmt.Errorf("hubsync: body of %d bytes: %w", len(body), ErrTooLarge)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("hubsync: decode: %v: %w", err, ErrMalformed)
	}
	plain, err := io.ReadAll(io.LimitReader(zr, int64(maxPlain)+1))
	if err != nil {
		return fmt.Errorf("hubsync: decode: %v: %w", err, ErrMalformed)
	}
	if len(plain) > maxPlain {
		return fmt.Errorf("hubsync: decompressed body over %d bytes: %w", maxPlain, ErrTooLarge)
	}
	dec := json.NewDecoder(bytes.NewReader(plain))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("hubsync: decode: %v: %w", err, ErrMalformed)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("hubsync: decode: more than one value: %w", ErrMalformed)
	}
	return nil
}
