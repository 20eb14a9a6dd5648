package io.nativemem.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongPredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The ledger on its own, with private instances: no native memory involved. Ledgers built with
 * explicit stripes and batches put credit where a test wants it ({@code tryReserve(stripe, bytes)});
 * the time-boxed races are in {@link LedgerStressTest}.
 */
class LedgerTest {

    private static final Ledger.Reclaimer NOTHING = Ledger.Reclaimer.NONE;

    /** Limit 1000, 4 stripes, batches of 100: a stripe holds at most 200 of credit. */
    private static Ledger striped() {
        return new Ledger(1000, NOTHING, 4, 100);
    }

    /** Takes {@code bytes} through {@code stripe} and commits them, as an allocation does. */
    private static void allocate(Ledger ledger, int stripe, long bytes) {
        assertTrue(ledger.tryReserve(stripe, bytes), "reserve " + bytes + " on stripe " + stripe);
        ledger.commit(bytes);
    }

    private static void assertEmpty(Ledger ledger) {
        var s = ledger.snapshot(0, 0);
        assertEquals(0, s.count(), s.toString());
        assertEquals(0, s.totalCapacity(), s.toString());
        assertEquals(0, s.reservedMemory(), s.toString());
        assertTrue(ledger.charged() <= ledger.limit());
    }

    @Test
    void exactlyTheLimitFitsAndOneMoreByteDoesNot() {
        Ledger ledger = new Ledger(1000, NOTHING);
        assertTrue(ledger.tryReserve(600));
        ledger.commit(600);
        assertTrue(ledger.tryReserve(400));
        ledger.commit(400);
        assertFalse(ledger.tryReserve(1));
        var s = ledger.snapshot(0, 0);
        assertEquals(2, s.count());
        assertEquals(1000, s.totalCapacity());
        assertEquals(1000, s.peakReservedMemory());
        ledger.release(1000, 2);
        assertEquals(0, ledger.snapshot(0, 0).totalCapacity());
        assertEquals(0, ledger.snapshot(0, 0).count());
    }

    @Test
    void aReservationLibcRefusedIsAFailureAndNeverReachesThePeak() {
        Ledger ledger = new Ledger(1000, NOTHING);
        assertTrue(ledger.tryReserve(100));
        ledger.commit(100);
        assertTrue(ledger.tryReserve(800));
        var pending = ledger.snapshot(0, 0);
        assertEquals(900, pending.reservedMemory(), "a pending reservation holds its room");
        assertEquals(100, pending.peakReservedMemory(), "but is not in the peak before libc answered");
        ledger.cancel(800);
        ledger.recordRefusedByLibc(800);
        var s = ledger.snapshot(0, 0);
        assertEquals(100, s.peakReservedMemory());
        assertEquals(1, s.failedReservations());
        assertEquals(1, s.count());
        assertEquals(0, s.freedExplicitly(), "a cancelled reservation is not a freed block");
        ledger.release(100, 1);
        assertEquals(0, ledger.snapshot(0, 0).count());
        assertEquals(1, ledger.snapshot(0, 0).freedExplicitly());
    }

    @Test
    void aDiscardedBlockCountedInThePeakIsNotCountedAsFreed() {
        Ledger ledger = new Ledger(1000, NOTHING);
        assertTrue(ledger.tryReserve(300));
        ledger.commit(300);
        ledger.discard(300);
        var s = ledger.snapshot(0, 0);
        assertEquals(300, s.peakReservedMemory(), "libc did hand the block out");
        assertEquals(0, s.count());
        assertEquals(0, s.freedExplicitly());
        assertTrue(ledger.tryReserve(1000), "all the room is back");
        ledger.cancel(1000);
    }

    @Test
    void thePeakIsExactWhileHugeReservationsComeAndGoBesideCommittedLargeBlocks() throws Exception {
        // Two threads each hold at most one block of 100 KiB (more than a batch of credit: counted
        // in the peak from its commit) at a time; a third keeps reserving and cancelling 512 GiB,
        // as an allocation that libc refuses does. The peak is one or two blocks, exactly.
        long block = 100 * 1024;
        assertPeakWhileHugeReservationsComeAndGo(block, peak -> peak == block || peak == 2 * block);
    }

    @Test
    void thePeakOfSmallBlocksNeverCountsHugeReservationsThatLibcRefused() throws Exception {
        // Small blocks reach the peak at checkpoints, so it may miss them (by at most the credit),
        // but it never exceeds the two blocks that are ever live together.
        assertPeakWhileHugeReservationsComeAndGo(100, peak -> peak <= 200);
    }

    private static void assertPeakWhileHugeReservationsComeAndGo(long block, LongPredicate expected)
            throws Exception {
        Ledger ledger = new Ledger(1L << 40, NOTHING);
        long deadline = System.nanoTime() + 1_000_000_000L;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong committed = new AtomicLong();
        AtomicLong cancelled = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            boolean huge = t == 0;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    while (System.nanoTime() < deadline) {
                        if (huge) {
                            if (ledger.tryReserve(1L << 39)) {
                                ledger.cancel(1L << 39);
                                cancelled.incrementAndGet();
                            }
                        } else if (ledger.tryReserve(block)) {
                            ledger.commit(block);
                            committed.incrementAndGet();
                            ledger.release(block, 1);
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertNull(failure.get());
        assertTrue(committed.get() > 1000 && cancelled.get() > 1000,
                "the test must actually interleave: " + committed + " committed, " + cancelled + " cancelled");
        var s = ledger.snapshot(0, 0);
        assertTrue(expected.test(s.peakReservedMemory()), "peak " + s.peakReservedMemory());
        assertEmpty(ledger);
    }

    @Test
    void zeroLimitRejectsEveryNonEmptyReservation() {
        Ledger ledger = new Ledger(0, NOTHING);
        assertFalse(ledger.tryReserve(1));
        assertTrue(ledger.tryReserve(0));
        ledger.release(0, 1);
    }

    @Test
    void failureAfterTheSlowPathNamesSizeAllocatedAndLimit() {
        Ledger ledger = new Ledger(1 << 20, NOTHING);
        assertTrue(ledger.tryReserve(1044481));
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> ledger.reserve(4096));
        assertEquals("Cannot reserve 4096 bytes of native memory (allocated: 1044481, limit: 1048576)", e.getMessage());
        var s = ledger.snapshot(0, 0);
        assertEquals(1, s.failedReservations());
        assertEquals(1, s.waitedReservations());
        assertTrue(s.waitedNanos() >= 400_000_000L, "9 waits of 1..256 ms: " + s.waitedNanos());
        assertEquals(1044481, s.totalCapacity());
        ledger.release(1044481, 1);
    }

    @Test
    void aRequestLargerThanTheLimitFailsWithoutWaiting() {
        Ledger ledger = new Ledger(100, NOTHING);
        assertThrows(OutOfMemoryError.class, () -> ledger.reserve(101));
        assertEquals(0, ledger.snapshot(0, 0).waitedReservations());
    }

    @Test
    void aWaitingReservationWakesWhenAnotherThreadReleases() throws Exception {
        Ledger ledger = new Ledger(100, NOTHING);
        assertTrue(ledger.tryReserve(100));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                ledger.reserve(50);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        waiter.start();
        Thread.sleep(20);
        ledger.release(100, 1);
        waiter.join(5_000);
        assertFalse(waiter.isAlive());
        assertNull(failure.get());
        assertEquals(50, ledger.snapshot(0, 0).totalCapacity());
        ledger.release(50, 1);
    }

    /**
     * A thread whose whole wait passed without any GC reaching its end (the first GC.run under
     * -XX:+DisableExplicitGC starts the platform MBean server, which can take a second on a busy
     * machine) forces one before it gives up, then waits for that GC's blocks: a reference handler
     * short of CPU hands them over after the GC returned. Here the forced GC's block arrives 50 ms
     * after it; unforced requests are declined, as while a harvest is on its way.
     */
    @Test
    void beforeGivingUpTheBlocksOfTheLastForcedGcAreAwaited() throws Exception {
        AtomicReference<Ledger> ledgerRef = new AtomicReference<>();
        AtomicBoolean onTheirWay = new AtomicBoolean();
        AtomicReference<Throwable> releaseFailure = new AtomicReference<>();
        Ledger.Reclaimer lateHarvest = new Ledger.Reclaimer() {
            @Override
            public int reclaimPending() {
                return 0;
            }

            @Override
            public boolean requestGc(boolean force) {
                if (!force) {
                    return false;
                }
                onTheirWay.set(true);
                Thread.ofPlatform().start(() -> {
                    try {
                        Thread.sleep(50);
                        ledgerRef.get().release(100, 1);
                    } catch (Throwable t) {
                        releaseFailure.set(t);
                    } finally {
                        onTheirWay.set(false);
                    }
                });
                return true;
            }

            @Override
            public boolean harvestPending() {
                return onTheirWay.get();
            }
        };
        Ledger ledger = new Ledger(100, lateHarvest);
        ledgerRef.set(ledger);
        assertTrue(ledger.tryReserve(100));
        try {
            ledger.reserve(50);
        } catch (OutOfMemoryError e) { // JUnit would end the whole run on it: report it as a failure
            fail("gave up before the forced GC's blocks arrived: " + e.getMessage());
        }
        assertNull(releaseFailure.get());
        Ledger.Snapshot stats = ledger.snapshot(0, 0);
        assertEquals(1, stats.gcRequests());
        assertEquals(0, stats.failedReservations());
        assertEquals(50, stats.totalCapacity());
        ledger.release(50, 1);
    }

    @Test
    void anInterruptedReservationGetsItsAnswerAndKeepsTheFlag() throws Exception {
        Ledger ledger = new Ledger(100, NOTHING);
        assertTrue(ledger.tryReserve(100));
        AtomicBoolean flagAfter = new AtomicBoolean();
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            Thread.currentThread().interrupt();
            try {
                ledger.reserve(10);
            } catch (Throwable t) {
                outcome.set(t);
            }
            flagAfter.set(Thread.currentThread().isInterrupted());
        });
        waiter.start();
        waiter.join(10_000);
        assertTrue(outcome.get() instanceof OutOfMemoryError, String.valueOf(outcome.get()));
        assertTrue(flagAfter.get(), "the interrupt flag must survive the slow path");
        ledger.release(100, 1);
    }

    @Test
    void releasingMoreThanWasReservedIsCaught() {
        Ledger ledger = new Ledger(100, NOTHING);
        assertThrows(IllegalStateException.class, () -> ledger.release(1, 1));
    }

    @Test
    void aReleaseLargerThanAllTheLedgerChargedIsCaughtBeforeItChangesAnything() {
        Ledger ledger = striped();
        allocate(ledger, 0, 10); // 10 in use, 100 of credit on stripe 0
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ledger.release(1, 111, 1));
        assertEquals("Ledger underflow: released bytes=111 blocks=1 exceed charged=110", e.getMessage());
        assertEquals(110, ledger.charged());
        assertEquals(1, ledger.snapshot(0, 0).count());
        ledger.release(0, 10, 1);
        assertEmpty(ledger);
    }

    @Test
    void excessCreditIsCaughtWhenItTakesTheTotalBelowZero() {
        // 10 in use and 100 of credit on stripe 0, 110 charged. 100 "released" that were never
        // reserved hide in the stripe's credit (200: within two batches); 110 more take it to
        // 310, so the stripe keeps a batch and returns 210 to a total of 110.
        Ledger ledger = striped();
        allocate(ledger, 0, 10);
        ledger.release(0, 100, 1);
        assertEquals(0, ledger.snapshot(0, 0).totalCapacity(), "what the stats show of the first");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ledger.release(0, 110, 1));
        assertEquals("Ledger underflow: released bytes=110 blocks=1 leave charged=-100", e.getMessage());
    }

    @Test
    void aSmallReservationTakesCreditThatARefillLeftOnItsStripe() {
        Ledger ledger = striped();
        allocate(ledger, 0, 10);
        assertEquals(110, ledger.charged(), "the reservation and a batch");
        assertEquals(100, ledger.credit(0));
        allocate(ledger, 0, 60);
        assertEquals(110, ledger.charged(), "no second trip to the total");
        assertEquals(40, ledger.credit(0));
        var s = ledger.snapshot(0, 0);
        assertEquals(2, s.count());
        assertEquals(70, s.totalCapacity(), "credit is not capacity in use");
        ledger.release(0, 70, 2);
        assertEquals(110, ledger.credit(0));
        assertEmpty(ledger);
    }

    @Test
    void aStripeKeepsAtMostTwoBatchesAndGivesTheRestBack() {
        Ledger ledger = striped();
        allocate(ledger, 0, 100);
        allocate(ledger, 0, 100);
        allocate(ledger, 0, 100);
        assertEquals(400, ledger.charged());
        ledger.release(0, 300, 3); // 400 of credit would be more than 200: back to one batch
        assertEquals(100, ledger.charged());
        assertEquals(100, ledger.credit(0));
        assertEmpty(ledger);
    }

    @Test
    void aReservationLargerThanABatchGoesToTheTotalAndLeavesCreditAlone() {
        Ledger ledger = striped();
        allocate(ledger, 0, 10);
        allocate(ledger, 0, 101);
        assertEquals(211, ledger.charged());
        assertEquals(100, ledger.credit(0));
        ledger.release(1, 101, 1); // released on another stripe: its credit, within two batches
        assertEquals(101, ledger.credit(1));
        ledger.release(0, 10, 1);
        assertEmpty(ledger);
    }

    @Test
    void creditSpreadOverStripesIsDrainedBeforeAReservationFails() {
        // 10 in use on each of 4 stripes, 100 of credit beside each: 440 charged of 1000. 960 fit
        // beside the 40 in use, but only once all the credit is back in the total.
        Ledger ledger = striped();
        for (int stripe = 0; stripe < 4; stripe++) {
            allocate(ledger, stripe, 10);
        }
        assertEquals(440, ledger.charged());
        assertFalse(ledger.tryReserve(961), "one byte more than the room fails even after draining");
        assertTrue(ledger.tryReserve(960));
        ledger.commit(960);
        assertEquals(1000, ledger.charged());
        assertEquals(0, ledger.credit());
        var s = ledger.snapshot(0, 0);
        assertEquals(1000, s.totalCapacity());
        assertEquals(0, s.waitedReservations(), "draining is not waiting");
        assertEquals(0, s.failedReservations());
        ledger.release(960, 1);
        for (int stripe = 0; stripe < 4; stripe++) {
            ledger.release(stripe, 10, 1);
        }
        assertEmpty(ledger);
    }

    @Test
    void aSmallReservationOnAnEmptyStripeGetsTheLastBytesFromOtherStripesCredit() {
        // Stripes 0 and 1 took 10 and a batch each, then all but 20 more: 1000 charged, 980 in use
        // and the last 20 bytes as credit of stripes 0 and 1. Stripe 2 has none.
        Ledger ledger = striped();
        allocate(ledger, 0, 10);
        allocate(ledger, 1, 10);
        allocate(ledger, 3, 780);
        allocate(ledger, 0, 90);
        allocate(ledger, 1, 90);
        assertEquals(1000, ledger.charged());
        assertEquals(20, ledger.credit());
        ledger.reserve(20); // through the thread's own stripe, whichever it is: it must not wait
        ledger.commit(20);
        assertEquals(1000, ledger.snapshot(0, 0).totalCapacity());
        assertEquals(0, ledger.snapshot(0, 0).waitedReservations());
        ledger.release(1000, 6);
        assertEmpty(ledger);
    }

    @Test
    void theFailureMessageCountsNoCreditAsAllocated() {
        Ledger ledger = striped();
        for (int stripe = 0; stripe < 4; stripe++) {
            allocate(ledger, stripe, 10);
        }
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> ledger.reserve(1001));
        assertEquals("Cannot reserve 1001 bytes of native memory (allocated: 40, limit: 1000)", e.getMessage());
        for (int stripe = 0; stripe < 4; stripe++) {
            ledger.release(stripe, 10, 1);
        }
        assertEmpty(ledger);
    }

    @Test
    void whileAThreadWaitsReleasesReachItAndCreditCannotJumpTheQueue() throws Exception {
        // Stripe 1 holds 100 of credit; 800 are in use. A waiter needs 300: the stripes close.
        Ledger ledger = striped();
        allocate(ledger, 1, 10);
        allocate(ledger, 0, 800);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                ledger.reserve(300);
                ledger.commit(300);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        // Counted as waiting before it joins the queue and closes the stripes: once both are seen,
        // this close is the waiter's (the one that draining in tryReserve undid came before).
        while (!(ledger.snapshot(0, 0).waitedReservations() == 1 && ledger.creditClosed()) && waiter.isAlive()) {
            Thread.onSpinWait();
        }
        assertTrue(waiter.isAlive(), "the waiter must wait: " + failure.get());
        assertEquals(0, ledger.credit(), "its credit drained to the total");
        assertFalse(ledger.tryReserve(1, 50), "190 are free, but the waiter claimed 300");
        // A small release goes to the total, where the waiter looks, not to stripe 2's credit.
        ledger.release(2, 10, 1);
        assertEquals(0, ledger.credit(2));
        ledger.release(0, 800, 1);
        waiter.join(10_000);
        assertFalse(waiter.isAlive());
        assertNull(failure.get());
        assertEquals(1, ledger.snapshot(0, 0).waitedReservations());
        assertTrue(ledger.tryReserve(1, 50), "no waiter any more");
        ledger.release(1, 350, 2);
        assertEmpty(ledger);
    }

    @Test
    void countsThatWrapAreFoldedAndStayExact() {
        // A stripe counts in 21 bits: 2^21 + 10 reservations and releases on one stripe fold twice.
        Ledger ledger = striped();
        int n = (1 << 21) + 10;
        for (int i = 0; i < n; i++) {
            assertTrue(ledger.tryReserve(0, 1));
            if (i % 2 == 1) {
                ledger.release(0, 2, 2);
            }
        }
        var s = ledger.snapshot(0, 0);
        assertEquals(0, s.count());
        assertEquals(n, s.freedExplicitly());
        assertEmpty(ledger);
    }

    @Test
    void thePeakOfSmallBlocksIsExactAtASnapshotAndMissesAtMostTheCreditBetweenCheckpoints() {
        Ledger ledger = striped();
        for (int i = 0; i < 10; i++) {
            allocate(ledger, 0, 10); // the first refills: a checkpoint that counts nothing handed out yet
        }
        ledger.release(0, 100, 10);
        long missed = 100 - ledger.snapshot(0, 0).peakReservedMemory();
        assertTrue(missed >= 0 && missed <= 2 * ledger.batch() * ledger.stripes(), "missed " + missed);
        for (int i = 0; i < 10; i++) {
            allocate(ledger, 0, 10);
        }
        assertEquals(100, ledger.snapshot(0, 0).peakReservedMemory(), "a snapshot is a checkpoint");
        ledger.release(0, 100, 10);
        assertEquals(100, ledger.snapshot(0, 0).peakReservedMemory());
        assertEmpty(ledger);
    }

    @Test
    void concurrentReservationsNeverExceedTheLimit() throws Exception {
        long limit = 64 * 1024;
        Ledger ledger = new Ledger(limit, NOTHING);
        int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        long deadline = System.nanoTime() + 2_000_000_000L;
        AtomicLong observedMax = new AtomicLong();
        AtomicLong admitted = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                long[] held = new long[16];
                int n = 0;
                try {
                    while (System.nanoTime() < deadline) {
                        if (n < held.length && random.nextBoolean()) {
                            long size = 1 + random.nextInt(8192);
                            if (ledger.tryReserve(size)) {
                                held[n++] = size;
                                admitted.incrementAndGet();
                            }
                        } else if (n > 0) {
                            ledger.release(held[--n], 1);
                        }
                        long seen = ledger.snapshot(0, 0).totalCapacity();
                        observedMax.accumulateAndGet(seen, Math::max);
                    }
                    while (n > 0) {
                        ledger.release(held[--n], 1);
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        assertNull(failure.get());
        var s = ledger.snapshot(0, 0);
        assertTrue(admitted.get() > 1000, "the test must actually contend: " + admitted.get());
        assertTrue(observedMax.get() <= limit, "observed " + observedMax.get());
        assertTrue(s.peakReservedMemory() <= limit, "peak " + s.peakReservedMemory());
        assertEquals(0, s.totalCapacity());
        assertEquals(0, s.count());
    }
}
