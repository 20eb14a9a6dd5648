package io.nativemem.internal;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The slow path's queue of waiting threads on its own: claims, first come first served, wake-ups. */
class WaitersTest {

    /** Long enough that a waiter woken by it instead of by a signal fails the test clearly. */
    private static final long TEN_SECONDS = 10_000_000_000L;

    @Test
    void claimsAddUpAndEachWaiterSeesOnlyTheClaimsAheadOfIt() {
        Waiters waiters = new Waiters();
        Waiters.Waiter first = waiters.join(10);
        Waiters.Waiter second = waiters.join(20);
        Waiters.Waiter third = waiters.join(30);
        assertEquals(60, waiters.claimed());
        assertEquals(0, waiters.claimedAhead(first));
        assertEquals(10, waiters.claimedAhead(second));
        assertEquals(30, waiters.claimedAhead(third));
        waiters.leave(second);
        assertEquals(40, waiters.claimed());
        assertEquals(10, waiters.claimedAhead(third));
        waiters.leave(first);
        waiters.leave(third);
        assertEquals(0, waiters.claimed());
    }

    @Test
    void awaitReturnsAtOnceWhenTheWaiterAndTheClaimsAheadOfItFit() {
        Waiters waiters = new Waiters();
        Waiters.Waiter first = waiters.join(10);
        Waiters.Waiter second = waiters.join(20);
        AtomicLong asked = new AtomicLong();
        long start = System.nanoTime();
        assertFalse(waiters.await(second, needed -> {
            asked.set(needed);
            return true;
        }, TEN_SECONDS));
        assertTrue(System.nanoTime() - start < 1_000_000_000L, "no wait when it fits");
        assertEquals(30, asked.get(), "its own bytes plus the claims ahead of it");
        waiters.leave(first);
        waiters.leave(second);
    }

    @Test
    void aSignalWakesAWaiterLongBeforeItsTimeout() throws Exception {
        Waiters waiters = new Waiters();
        assertWokenBy(waiters, () -> waiters.signal());
    }

    @Test
    void aWaiterThatLeavesWakesTheOthers() throws Exception {
        Waiters waiters = new Waiters();
        Waiters.Waiter ahead = waiters.join(1000);
        assertWokenBy(waiters, () -> waiters.leave(ahead));
    }

    /** One thread waits (10 s) for room that never fits; {@code wake} must cut its wait short. */
    private static void assertWokenBy(Waiters waiters, Runnable wake) throws Exception {
        CountDownLatch waiting = new CountDownLatch(1);
        AtomicLong waitedNanos = new AtomicLong(-1);
        Thread waiter = Thread.ofPlatform().start(() -> {
            Waiters.Waiter me = waiters.join(100);
            long start = System.nanoTime();
            waiting.countDown();
            waiters.await(me, needed -> false, TEN_SECONDS);
            waitedNanos.set(System.nanoTime() - start);
            waiters.leave(me);
        });
        waiting.await();
        Thread.sleep(100); // well inside await by now
        wake.run();
        waiter.join(5_000);
        assertFalse(waiter.isAlive(), "still waiting 5 s after it was woken");
        assertTrue(waitedNanos.get() < 5_000_000_000L, "woken after " + waitedNanos.get() + " ns");
        assertEquals(0, waiters.claimed(), "every claim returned");
    }

    @Test
    void anInterruptCutsTheWaitShortAndIsReportedNotSwallowed() throws Exception {
        Waiters waiters = new Waiters();
        AtomicBoolean reported = new AtomicBoolean();
        AtomicLong waitedNanos = new AtomicLong();
        Thread waiter = Thread.ofPlatform().start(() -> {
            Waiters.Waiter me = waiters.join(100);
            Thread.currentThread().interrupt();
            long start = System.nanoTime();
            reported.set(waiters.await(me, needed -> false, TEN_SECONDS));
            waitedNanos.set(System.nanoTime() - start);
            waiters.leave(me);
        });
        waiter.join(5_000);
        assertFalse(waiter.isAlive());
        assertTrue(reported.get(), "the caller must learn of the interrupt to restore the flag");
        assertTrue(waitedNanos.get() < 5_000_000_000L, "waited " + waitedNanos.get() + " ns");
        assertEquals(0, waiters.claimed());
    }
}
