package io.nativemem.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ledger on its own, with private instances: no native memory involved. */
class LedgerTest {

    private static final Ledger.Reclaimer NOTHING = Ledger.Reclaimer.NONE;

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
    void thePeakIsExactWhileHugeReservationsComeAndGoBesideCommittedBlocks() throws Exception {
        // Two threads each hold at most one 100-byte block at a time; a third keeps reserving and
        // cancelling 512 GiB, as an allocation that libc refuses does. The peak is at most 200.
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
                        } else if (ledger.tryReserve(100)) {
                            ledger.commit(100);
                            committed.incrementAndGet();
                            ledger.release(100, 1);
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
        assertTrue(s.peakReservedMemory() == 100 || s.peakReservedMemory() == 200, "peak " + s.peakReservedMemory());
        assertEquals(0, s.totalCapacity());
        assertEquals(0, s.count());
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
