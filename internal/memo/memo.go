// Package memo computes a value once per key and shares it.
//
// A provider run asks for the same things many times at once: twenty data
// sources of one repository want one authenticated transport, every
// repository of a registry wants one ping answer, every read of a host wants
// one credential-helper run. A Map gives each key exactly one computation in
// flight; callers that arrive meanwhile wait for it and share its result, and
// later callers get the value from memory.
package memo

import "sync"

// Map memoizes a computation per key. A success is kept for the life of the
// Map. A failure is handed to the callers that waited for it and then
// forgotten, so that the next caller tries again (a timeout of one data
// source's context must not fail the next one), unless KeepFailures is set.
// The zero Map is ready to use; a Map must not be copied after first use.
type Map[K comparable, V any] struct {
	// KeepFailures keeps failed results too, for computations whose failure
	// is final for the run (a config file that does not parse).
	KeepFailures bool

	mu      sync.Mutex
	entries map[K]*entry[V]
}

type entry[V any] struct {
	done  chan struct{}
	value V
	err   error
}

// Get returns the value for key, calling compute when no caller has yet, or
// when the last computation failed and failures are not kept. compute runs on
// the calling goroutine, without any lock held.
func (m *Map[K, V]) Get(key K, compute func() (V, error)) (V, error) {
	m.mu.Lock()
	if e, ok := m.entries[key]; ok {
		m.mu.Unlock()
		<-e.done
		return e.value, e.err
	}
	e := &entry[V]{done: make(chan struct{})}
	if m.entries == nil {
		m.entries = map[K]*entry[V]{}
	}
	m.entries[key] = e
	m.mu.Unlock()

	e.value, e.err = compute()
	if e.err != nil && !m.KeepFailures {
		m.mu.Lock()
		if m.entries[key] == e {
			delete(m.entries, key)
		}
		m.mu.Unlock()
	}
	close(e.done)
	return e.value, e.err
}

// Lookup returns the value kept for key without computing anything: ok is
// false when there is none (never computed, still in flight, or failed).
func (m *Map[K, V]) Lookup(key K) (value V, ok bool) {
	m.mu.Lock()
	e, found := m.entries[key]
	m.mu.Unlock()
	if !found {
		return value, false
	}
	select {
	case <-e.done:
		return e.value, e.err == nil
	default:
		return value, false
	}
}

// Forget drops the value kept for key when stale says it is the one to
// drop, so that the next Get computes it again: a value that was good once
// (an authenticated transport) and has gone stale (its token expired). Many
// callers that found the same stale value may each call Forget with it:
// only the first drops it, and a value computed since, or a computation in
// flight, is left alone, so that they all share the one that replaces it.
// It reports whether it dropped anything.
func (m *Map[K, V]) Forget(key K, stale func(V) bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok {
		return false
	}
	select {
	case <-e.done:
	default:
		return false
	}
	if e.err != nil || !stale(e.value) {
		return false
	}
	delete(m.entries, key)
	return true
}
