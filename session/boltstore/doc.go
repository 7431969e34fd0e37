// Package boltstore is the embedded session store: a bbolt file on local
// disk, for a single gateway instance. Expired records are swept in the
// background through an expiry index, a bounded batch at a time, so
// neither lookups nor the sweep ever scan the whole file.
package boltstore
