package io.nativemem;

import io.nativemem.internal.CloseQueue;
import io.nativemem.internal.Cohort;
import io.nativemem.internal.Ledger;
import io.nativemem.testing.LedgerBalanceExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code close()} of a GC-managed buffer hands the close of its cohort's scope (the handshake and
 * the frees) off the calling thread. Real native memory, real threads; most tests against a ledger
 * of their own whose close queue no thread serves, so that they know exactly when a close runs:
 * only when its slow path, or the test, runs the pending closes.
 */
class HandedOffCloseTest {

    /** 1 MiB: a cohort holds 1/32 of it, 32 KiB, eight blocks of 4 KiB. */
    private static final long LIMIT = 1 << 20;
    /** Larger than {@link Cohort#SOLO_ABOVE}: a cohort of its own. */
    private static final long LARGE = 128 << 10;

    private final CountingReclaimer reclaimer = new CountingReclaimer();
    private final Ledger ledger = new Ledger(LIMIT, reclaimer);

    /** Frees nothing and requests no GC, but counts the requests. */
    private static final class CountingReclaimer implements Ledger.Reclaimer {
        final AtomicInteger gcRequests = new AtomicInteger();

        @Override
        public int reclaimPending() {
            return 0;
        }

        @Override
        public boolean requestGc(boolean force) {
            gcRequests.incrementAndGet();
            return false;
        }
    }

    private NativeBuffer allocate(long capacity) {
        return DirectBlock.allocate(ledger, capacity, 8);
    }

    private Ledger.Snapshot stats() {
        return ledger.snapshot(0, 0);
    }

    @AfterEach
    void everyBlockOfTheTestWasFreed() {
        // The cohort that admitted last is not sealed: seal it, so that it is closed if all its
        // members are, and run what that, or anything else, handed over.
        Cohort.flush();
        ledger.closeQueue().runPending();
        Ledger.Snapshot s = stats();
        assertEquals(0, s.count(), s.toString());
        assertEquals(0, s.totalCapacity(), s.toString());
        assertEquals(0, s.reservedMemory(), s.toString());
    }

    @Test
    void anAllocationThatFitsOncePendingClosesRunGetsTheRoomWithoutAGc() {
        List<NativeBuffer> held = new ArrayList<>();
        for (long total = 0; total + 4096 <= LIMIT; total += 4096) {
            held.add(allocate(4096));
        }
        held.forEach(NativeBuffer::close);
        // Every cohort but the one still admitting is sealed and all closed: handed over, not run.
        assertTrue(ledger.closeQueue().hasPending());
        assertEquals(LIMIT, stats().totalCapacity(), "closed, not yet freed");

        NativeBuffer half = allocate(LIMIT / 2);

        assertEquals(0, reclaimer.gcRequests.get(), "no GC while closes that make room are pending");
        assertFalse(ledger.closeQueue().hasPending(), "the slow path ran them");
        assertTrue(stats().totalCapacity() <= LIMIT / 2 + LIMIT / 32,
                "left: the new block, and the closed blocks of the cohort still admitting " + stats());
        half.close();
    }

    @Test
    void aWaitingAllocationRunsTheClosesHandedOverWhileItWaits() throws Exception {
        List<NativeBuffer> held = new ArrayList<>();
        for (long total = 0; total + 4096 <= LIMIT; total += 4096) {
            held.add(allocate(4096));
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<NativeBuffer> got = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                got.set(allocate(LIMIT / 2));
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        waiter.start();
        while (stats().waitedReservations() == 0 && waiter.isAlive()) {
            Thread.onSpinWait();
        }
        held.forEach(NativeBuffer::close); // hands the sealed cohorts over, to a queue no thread serves
        waiter.join();
        assertNull(failure.get());
        assertEquals(LIMIT / 2, got.get().capacity());
        assertEquals(1, stats().waitedReservations());
        got.get().close();
    }

    @Test
    void aLargeBlockWhoseMemoryNobodyViewedIsRefusedAtOnceAndFreedByThePendingClose() {
        NativeBuffer buffer = allocate(LARGE);
        buffer.putLong(0, 42);
        buffer.close();
        assertFalse(buffer.isAlive());
        assertThrows(IllegalStateException.class, () -> buffer.getLong(0));
        assertThrows(IllegalStateException.class, buffer::getLong);
        assertThrows(IllegalStateException.class, () -> buffer.segment().get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(1, stats().count(), "the close is pending");
        assertEquals(1, ledger.closeQueue().runPending());
        assertEquals(0, stats().count());
        assertEquals(1, stats().freedExplicitly());
    }

    enum View { SLICE, DUPLICATE, READ_ONLY, SEGMENT, BYTE_BUFFER }

    /** A large block's views live in its cohort's scope: closing the block closes that scope at once. */
    @ParameterizedTest
    @EnumSource(View.class)
    void aLargeBlockWhoseMemoryWasViewedIsFreedBeforeCloseReturns(View kind) {
        NativeBuffer buffer = allocate(LARGE);
        List<Object> views = new ArrayList<>();
        switch (kind) {
            case SLICE -> views.add(buffer.slice(0, 64));
            case DUPLICATE -> views.add(buffer.duplicate());
            case READ_ONLY -> views.add(buffer.asReadOnlyBuffer());
            case SEGMENT -> views.add(buffer.segment());
            case BYTE_BUFFER -> views.add(buffer.asByteBuffer());
        }
        buffer.close();
        assertFalse(ledger.closeQueue().hasPending());
        assertEquals(0, stats().count(), "freed before close() returned");
        Object view = views.get(0);
        assertThrows(IllegalStateException.class, () -> {
            if (view instanceof NativeBuffer b) {
                b.getLong(0);
            } else if (view instanceof MemorySegment s) {
                s.get(ValueLayout.JAVA_LONG, 0);
            } else {
                ((java.nio.ByteBuffer) view).getLong(0);
            }
        });
        assertThrows(IllegalStateException.class, () -> buffer.getLong(0));
    }

    @Test
    void aViewAskedForAfterCloseIsDeadWhileTheCloseIsPending() {
        NativeBuffer buffer = allocate(LARGE);
        buffer.close();
        assertTrue(ledger.closeQueue().hasPending());
        MemorySegment segment = buffer.segment();
        assertFalse(segment.scope().isAlive());
        assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_LONG, 0));
    }

    @Test
    void closingTheLastMemberOfASealedCohortHandsItOver() {
        NativeBuffer first = allocate(4096);
        List<NativeBuffer> mates = new ArrayList<>();
        // Fill the cohort, and one more: the cohort is sealed when the ninth does not fit.
        for (int i = 0; i < 8; i++) {
            mates.add(allocate(4096));
        }
        NativeBuffer next = mates.removeLast();
        mates.forEach(NativeBuffer::close);
        assertFalse(ledger.closeQueue().hasPending(), "one member is still open");
        first.close();
        long before = stats().count();
        assertTrue(ledger.closeQueue().hasPending(), "the last member closed, the cohort's close waits");
        assertEquals(8, ledger.closeQueue().runPending());
        assertEquals(before - 8, stats().count());
        next.close();
    }

    /** The process-wide ledger: close() from many virtual threads, then stats() count every close. */
    @Test
    void virtualThreadsCloseAndStatsAreExactOnceThePendingClosesRan() throws Exception {
        assertEquals(0, LedgerBalanceExtension.Ledger.awaitEmpty().count());
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < 64; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    for (int j = 0; j < 20; j++) {
                        NativeBuffer buffer = NativeBuffer.allocateDirect(j % 2 == 0 ? LARGE : 1 << 20);
                        buffer.putLong(8, j);
                        buffer.close();
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertNull(failure.get());
        // Every block was alone in its cohort: stats() runs or awaits their closes, nothing is left.
        MemoryStats stats = NativeMemory.stats();
        assertEquals(0, stats.count(), stats.toString());
        assertEquals(0, stats.totalCapacity(), stats.toString());
        long closers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(CloseQueue.THREAD_NAME)).peek(t -> assertTrue(t.isDaemon())).count();
        assertEquals(1, closers, "one closer thread per process");
    }
}
