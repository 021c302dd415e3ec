// Package update installs signed release bundles on a kiosk and undoes an
// update that fails.
//
// A bundle is a gzip'd tar: manifest.json (version, architecture, the ledger
// schema the version needs, the size and SHA-256 of every file), then
// manifest.sig (ed25519 over the manifest, by a key the kiosk trusts), then
// the files. Nothing of a bundle is believed before its signature is checked
// against the public keys in the trusted-keys directory.
//
// Versions live side by side in a versions directory: one directory per
// version (its files, manifest and signature), a symlink "current" to the
// one that runs and "previous" to the one before. The installed binaries
// (/usr/bin/kiosk, …) are symlinks through "current", so switching versions
// is one rename of a symlink: at every moment exactly one version is
// current.
//
// An update is journaled step by step (update.json): unpacked, backed up,
// switched, restarted, waiting for health. An updater killed at any step
// leaves the journal behind, and the next update, rollback or Recover (at
// the kiosk's start) finishes the job: before the switch it forgets the
// update; after it, it switches back, puts back the ledger the old version
// opens, and starts the old version. See ARCHITECTURE.md.
package update
