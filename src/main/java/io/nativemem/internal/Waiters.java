package io.nativemem.internal;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongPredicate;

/**
 * The threads waiting in the ledger's slow path, served first come, first served.
 *
 * <p>Each waiter claims the bytes it waits for. Threads on the fast path leave every claim alone,
 * and a waiter may take room only when the claims of all waiters ahead of it still fit. Without
 * this, a thread woken from a wait, far slower than threads that are running, loses every block
 * the GC frees to them, and a large request loses to small ones as blocks come back one at a
 * time (measured: churn with 4 threads and random sizes up to 1 MiB saw requests starve past the
 * slow path's half second and fail).
 */
final class Waiters {

    /** One thread in the slow path and the bytes it claims. */
    static final class Waiter {
        final long bytes;
        /** Whether one of its waits was cut short by an interrupt; only its own thread touches it. */
        boolean interrupted;

        Waiter(long bytes) {
            this.bytes = bytes;
        }
    }

    private final Object lock = new Object();
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
    private final AtomicLong claimed = new AtomicLong();
    private volatile int waiting;

    /** The bytes all waiters claim: what the fast path must leave free. */
    long claimed() {
        return claimed.get();
    }

    Waiter join(long bytes) {
        Waiter waiter = new Waiter(bytes);
        synchronized (lock) {
            queue.addLast(waiter);
            waiting++;
        }
        claimed.addAndGet(bytes);
        return waiter;
    }

    /** Leaves the queue and wakes the others: the ones behind may now fit. */
    void leave(Waiter waiter) {
        claimed.addAndGet(-waiter.bytes);
        synchronized (lock) {
            queue.remove(waiter);
            waiting--;
            lock.notifyAll();
        }
    }

    /** The bytes claimed by the waiters ahead of {@code waiter}. */
    long claimedAhead(Waiter waiter) {
        synchronized (lock) {
            long ahead = 0;
            for (Waiter w : queue) {
                if (w == waiter) {
                    return ahead;
                }
                ahead += w.bytes;
            }
            return ahead;
        }
    }

    /**
     * Waits up to {@code nanos} for a {@link #signal()}, unless {@code fits} already accepts
     * the waiter's bytes plus the claims ahead of it. Returns whether the wait was interrupted: an
     * interrupt only cuts this wait short, and the caller restores the flag at the end.
     */
    boolean await(Waiter waiter, LongPredicate fits, long nanos) {
        synchronized (lock) {
            try {
                // Checked under the lock: a release after this check must signal us.
                if (fits.test(waiter.bytes + claimedAhead(waiter))) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, nanos);
                return false;
            } catch (InterruptedException e) {
                return true;
            }
        }
    }

    /** Wakes the waiters, if any: some room was released. */
    void signal() {
        if (waiting > 0) {
            synchronized (lock) {
                lock.notifyAll();
            }
        }
    }
}
