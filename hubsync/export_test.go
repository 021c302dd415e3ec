package hubsync

import (
	"context"
	"crypto/ed25519"
)

// Post sends body as it is (no encoding, no limit on the kiosk's side), for
// the tests that send what a kiosk of this package never would.
func Post[A any](ctx context.Context, c *Client, path string, body []byte) (A, error) {
	return post[A](ctx, c, path, body, nil)
}

// ReadAnswer is the kiosk's check of an answer, for the fuzz targets;
// enroll: the answer is an Enrolled whose key signs it.
func ReadAnswer[A any](hubKey ed25519.PublicKey, status int, sig string, body []byte, m Meta, learn func(*A) ed25519.PublicKey) (A, error) {
	return readAnswer(hubKey, status, sig, body, m, learn)
}

// RequestBytes and AnswerBytes are what is signed, for the known answers.
func RequestBytes(m Meta, method, path string, body []byte) []byte {
	return m.requestBytes(method, path, body)
}

func AnswerBytes(status int, body []byte, m Meta) []byte { return answerBytes(status, body, m) }
