package io.nativemem.internal;

import io.nativemem.testing.CapturedLog;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The queue of closes handed off the closing thread, with entries of the test's own (the closes of
 * real cohorts are in {@code HandedOffCloseTest}): who runs them, who waits for them, and that the
 * closer thread outlives a close that throws.
 */
class CloseQueueTest {

    /** An entry that counts its runs, records its thread, and frees {@code blocks} blocks. */
    private static class Counted extends CloseQueue.Entry {
        final int blocks;
        final AtomicInteger runs = new AtomicInteger();
        final AtomicReference<Thread> ranOn = new AtomicReference<>();
        final CountDownLatch ran = new CountDownLatch(1);

        Counted(int blocks) {
            this.blocks = blocks;
        }

        @Override
        protected int runClose() {
            runs.incrementAndGet();
            ranOn.set(Thread.currentThread());
            ran.countDown();
            return blocks;
        }
    }

    @Test
    void anUnservedQueueRunsEveryEntryOnceOnTheThreadThatAsks() {
        CloseQueue queue = CloseQueue.unserved();
        assertFalse(queue.hasPending());
        assertEquals(0, queue.runPending());
        List<Counted> entries = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            Counted entry = new Counted(i);
            entries.add(entry);
            queue.hand(entry);
        }
        assertTrue(queue.hasPending());
        assertEquals(15, queue.runPending());
        assertFalse(queue.hasPending());
        assertEquals(0, queue.runPending());
        for (Counted entry : entries) {
            assertEquals(1, entry.runs.get());
            assertSame(Thread.currentThread(), entry.ranOn.get());
        }
    }

    /** A thread that needs the memory back must not return while a close is under way elsewhere. */
    @Test
    void runPendingWaitsForACloseUnderWayOnAnotherThread() throws Exception {
        CloseQueue queue = CloseQueue.unserved();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        queue.hand(new CloseQueue.Entry() {
            @Override
            protected int runClose() {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                return 7;
            }
        });
        Thread first = Thread.ofPlatform().start(queue::runPending);
        entered.await();
        AtomicInteger seen = new AtomicInteger(-1);
        Thread second = Thread.ofVirtual().start(() -> seen.set(queue.runPending()));
        while (second.getState() != Thread.State.WAITING) { // parked on the lock the first one holds
            Thread.onSpinWait();
        }
        assertEquals(-1, seen.get());
        release.countDown();
        second.join();
        first.join();
        assertEquals(7, seen.get(), "it counts the blocks of the close it waited for");
    }

    @Test
    void theGlobalQueueHasOneDaemonCloserThatOutlivesAFailingClose() throws Exception {
        CloseQueue queue = CloseQueue.global();
        CountDownLatch thrown = new CountDownLatch(1);
        try (CapturedLog log = CapturedLog.ofRuntime()) {
            queue.hand(new CloseQueue.Entry() {
                @Override
                protected int runClose() {
                    thrown.countDown();
                    throw new IllegalStateException("a close that fails on purpose");
                }
            });
            thrown.await();
            // Handed over from many threads at once, virtual ones too: all run, by one thread.
            List<Counted> entries = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                Counted entry = new Counted(0);
                entries.add(entry);
                Thread.Builder builder = i % 2 == 0 ? Thread.ofVirtual() : Thread.ofPlatform();
                threads.add(builder.start(() -> queue.hand(entry)));
            }
            for (Thread thread : threads) {
                thread.join();
            }
            for (Counted entry : entries) {
                entry.ran.await();
                assertEquals(1, entry.runs.get());
            }
            List<Thread> closers = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals(CloseQueue.THREAD_NAME)).toList();
            assertEquals(1, closers.size(), closers.toString());
            assertTrue(closers.getFirst().isDaemon());
            assertTrue(closers.getFirst().isAlive());
            // Logged on the closer before it took the entries above.
            assertTrue(log.messages().contains("ERROR: Closing GC-managed blocks failed on thread "
                    + CloseQueue.THREAD_NAME), log.messages().toString());
        }
    }
}
