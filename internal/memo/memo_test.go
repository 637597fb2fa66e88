package memo

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// TestOneComputationPerKey proves that concurrent callers of one key share a
// single computation, and that other keys compute their own.
func TestOneComputationPerKey(t *testing.T) {
	var m Map[string, int]
	var calls atomic.Int64
	release := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]int, 20)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := m.Get("a", func() (int, error) {
				calls.Add(1)
				<-release
				return 42, nil
			})
			if err != nil {
				t.Errorf("Get: %v", err)
			}
			results[i] = v
		}()
	}
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("compute ran %d times for one key, want 1", n)
	}
	for i, v := range results {
		if v != 42 {
			t.Errorf("caller %d got %d, want 42", i, v)
		}
	}
	if v, _ := m.Get("b", func() (int, error) { return 7, nil }); v != 7 {
		t.Errorf("another key got %d, want its own value 7", v)
	}
	if v, ok := m.Lookup("a"); !ok || v != 42 {
		t.Errorf("Lookup(a) = %d, %v; want 42, true", v, ok)
	}
	if _, ok := m.Lookup("c"); ok {
		t.Error("Lookup of a key never computed reported a value")
	}
}

// TestFailuresForgottenOrKept proves that a failure is retried by the next
// caller, unless KeepFailures says it is final.
func TestFailuresForgottenOrKept(t *testing.T) {
	boom := errors.New("boom")
	for _, keep := range []bool{false, true} {
		m := &Map[string, int]{KeepFailures: keep}
		calls := 0
		compute := func() (int, error) {
			calls++
			if calls == 1 {
				return 0, boom
			}
			return 1, nil
		}
		if _, err := m.Get("k", compute); !errors.Is(err, boom) {
			t.Fatalf("keep=%v: first Get error = %v, want boom", keep, err)
		}
		if _, ok := m.Lookup("k"); ok {
			t.Errorf("keep=%v: Lookup reported a failed computation as a value", keep)
		}
		v, err := m.Get("k", compute)
		switch {
		case keep && (!errors.Is(err, boom) || calls != 1):
			t.Errorf("KeepFailures: second Get = %d, %v after %d calls; want the kept failure and no new call", v, err, calls)
		case !keep && (err != nil || v != 1 || calls != 2):
			t.Errorf("second Get = %d, %v after %d calls; want a new computation giving 1", v, err, calls)
		}
	}
}

// TestForgetOnlyTheStaleValue: callers that found one stale value and each
// forget it cause one computation of its replacement, which they all share;
// a value computed since, or a computation in flight, is not forgotten.
func TestForgetOnlyTheStaleValue(t *testing.T) {
	var m Map[string, *int]
	one, two := 1, 2
	if v, _ := m.Get("a", func() (*int, error) { return &one, nil }); v != &one {
		t.Fatal("first value not kept")
	}
	var calls atomic.Int64
	var wg sync.WaitGroup
	got := make([]*int, 20)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.Forget("a", func(v *int) bool { return v == &one })
			got[i], _ = m.Get("a", func() (*int, error) {
				calls.Add(1)
				return &two, nil
			})
		}()
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("the replacement was computed %d times, want 1", n)
	}
	for i, v := range got {
		if v != &two {
			t.Errorf("caller %d got %v, want the replacement", i, v)
		}
	}
	if m.Forget("a", func(v *int) bool { return v == &one }) {
		t.Error("the replacement was forgotten for the stale value")
	}
	if m.Forget("missing", func(*int) bool { return true }) {
		t.Error("a key never computed was forgotten")
	}

	// A computation in flight is left alone.
	release := make(chan struct{})
	started := make(chan struct{})
	go func() {
		_, _ = m.Get("b", func() (*int, error) {
			close(started)
			<-release
			return &one, nil
		})
	}()
	<-started
	if m.Forget("b", func(*int) bool { return true }) {
		t.Error("a computation in flight was forgotten")
	}
	close(release)
	if v, _ := m.Get("b", func() (*int, error) { return &two, nil }); v != &one {
		t.Error("the computation in flight was not the one kept")
	}
}
