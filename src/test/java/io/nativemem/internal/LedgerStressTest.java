package io.nativemem.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The striped ledger under time-boxed races (a few seconds each), with private ledgers.
 *
 * <p>Each race keeps a budget of its own beside the ledger: a thread takes a block's bytes from
 * the budget before it reserves them and gives them back after it released them, so the capacity
 * in use never exceeds the budget, which never exceeds the limit. Every reservation then fits once
 * the credit is drained, so none may wait or fail, however the credit is spread over the stripes
 * when it is made; and the total charged, credit included, must never exceed the limit.
 */
class LedgerStressTest {

    /** Sizes up to 4 KiB under a 256 KiB limit: batches of 1 KiB on 8 stripes, so small and large mix. */
    private static final long LIMIT = 256 * 1024;
    private static final int MAX_SIZE = 4096;

    /** What a race must leave exactly, once every thread has finished. */
    private record Expected(long released, long freedByGc) {
    }

    /** One block: its bytes and the overhead counted beside it. */
    private record Block(long bytes, long overhead) {
    }

    /**
     * The budget of a race: the bytes threads may hold (a fair semaphore, so that virtual threads
     * park rather than spin when it runs out), and the most they held at once.
     */
    private static final class Budget {
        private final Semaphore free = new Semaphore((int) LIMIT, true);
        private final AtomicLong used = new AtomicLong();
        private final AtomicLong most = new AtomicLong();

        boolean take(long bytes) {
            if (!free.tryAcquire((int) bytes)) {
                return false;
            }
            most.accumulateAndGet(used.addAndGet(bytes), Math::max);
            return true;
        }

        void takeWaiting(long bytes) throws InterruptedException {
            free.acquire((int) bytes);
            most.accumulateAndGet(used.addAndGet(bytes), Math::max);
        }

        void give(long bytes) {
            used.addAndGet(-bytes);
            free.release((int) bytes);
        }
    }

    /**
     * Watches one ledger from its own thread until stopped: the total charged never exceeds the
     * limit, and a snapshot's capacity in use exceeds what the threads held at most by no more than
     * the credit the stripes can hold.
     */
    private static final class Watcher implements Runnable {
        private final Ledger ledger;
        private final Budget budget;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicReference<String> failure = new AtomicReference<>();
        private long checks;

        Watcher(Ledger ledger, Budget budget) {
            this.ledger = ledger;
            this.budget = budget;
        }

        @Override
        public void run() {
            long lag = 2 * ledger.batch() * ledger.stripes();
            while (!stop.get()) {
                long charged = ledger.charged();
                if (charged > LIMIT) {
                    failure.compareAndSet(null, "charged=" + charged + " limit=" + LIMIT);
                }
                long inUse = ledger.snapshot(0, 0).totalCapacity();
                long most = budget.most.get();
                if (inUse > most + lag) {
                    failure.compareAndSet(null, "totalCapacity=" + inUse + " held at most=" + most + " lag=" + lag);
                }
                checks++;
            }
        }
    }

    @Test
    void platformThreadsNeverWaitForRoomThatCreditHoldsAndNeverPassTheLimit() throws Exception {
        Ledger ledger = new Ledger(LIMIT, Ledger.Reclaimer.NONE);
        int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        long deadline = System.nanoTime() + 2_000_000_000L;
        Budget budget = new Budget();
        // Blocks one thread allocated and another frees: credit flows from stripe to stripe.
        ConcurrentLinkedQueue<Block> handedOver = new ConcurrentLinkedQueue<>();
        AtomicLong released = new AtomicLong();
        AtomicLong freedByGc = new AtomicLong();
        AtomicLong overhead = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().start(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                List<Block> held = new ArrayList<>();
                try {
                    while (System.nanoTime() < deadline) {
                        int choice = random.nextInt(4);
                        if (choice < 2 && held.size() < 16) {
                            long size = 1 + random.nextInt(MAX_SIZE);
                            if (budget.take(size)) {
                                ledger.reserve(size);
                                ledger.commit(size);
                                long extra = random.nextInt(3) * 8L;
                                ledger.addOverhead(extra);
                                overhead.addAndGet(extra);
                                held.add(new Block(size, extra));
                            }
                        } else if (choice == 2 && !held.isEmpty()) {
                            handedOver.add(held.removeLast());
                        } else {
                            Block block = !held.isEmpty() ? held.removeLast() : handedOver.poll();
                            if (block != null) {
                                free(ledger, block, random.nextBoolean(), budget, released, freedByGc, overhead);
                            }
                        }
                    }
                    while (!held.isEmpty()) {
                        free(ledger, held.removeLast(), false, budget, released, freedByGc, overhead);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        Watcher watcher = new Watcher(ledger, budget);
        Thread watching = Thread.ofPlatform().start(watcher);
        for (Thread worker : workers) {
            worker.join();
        }
        for (Block block; (block = handedOver.poll()) != null; ) {
            free(ledger, block, false, budget, released, freedByGc, overhead);
        }
        watcher.stop.set(true);
        watching.join();
        assertNull(failure.get());
        assertNull(watcher.failure.get());
        assertTrue(watcher.checks > 100, "the watcher must actually watch: " + watcher.checks);
        assertTrue(released.get() > 1000, "the test must actually contend: " + released.get());
        assertExactlyEmpty(ledger, new Expected(released.get(), freedByGc.get()));
    }

    private static void free(Ledger ledger, Block block, boolean byGc, Budget budget, AtomicLong released,
                             AtomicLong freedByGc, AtomicLong overhead) {
        ledger.release(block.bytes(), 1);
        if (byGc) {
            ledger.recordFreedByGc(1);
            freedByGc.incrementAndGet();
        }
        ledger.addOverhead(-block.overhead());
        overhead.addAndGet(-block.overhead());
        budget.give(block.bytes());
        released.incrementAndGet();
    }

    @Test
    void tenThousandVirtualThreadsNeverWaitForRoomThatCreditHoldsAndNeverPassTheLimit() throws Exception {
        Ledger ledger = new Ledger(LIMIT, Ledger.Reclaimer.NONE);
        Budget budget = new Budget();
        AtomicLong released = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Watcher watcher = new Watcher(ledger, budget);
        Thread watching = Thread.ofPlatform().start(watcher);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 10_000; t++) {
            threads.add(Thread.ofVirtual().start(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                try {
                    for (int i = 0; i < 10; i++) {
                        long size = 1 + random.nextInt(MAX_SIZE);
                        budget.takeWaiting(size);
                        ledger.reserve(size);
                        ledger.commit(size);
                        Thread.yield(); // another virtual thread runs on this carrier meanwhile
                        ledger.release(size, 1);
                        budget.give(size);
                        released.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        watcher.stop.set(true);
        watching.join();
        assertNull(failure.get());
        assertNull(watcher.failure.get());
        assertEquals(100_000, released.get());
        assertExactlyEmpty(ledger, new Expected(100_000, 0));
    }

    private static void assertExactlyEmpty(Ledger ledger, Expected expected) {
        var s = ledger.snapshot(0, 0);
        assertEquals(0, s.count(), s.toString());
        assertEquals(0, s.totalCapacity(), s.toString());
        assertEquals(0, s.reservedMemory(), s.toString());
        assertEquals(expected.released() - expected.freedByGc(), s.freedExplicitly(), s.toString());
        assertEquals(expected.freedByGc(), s.freedByGc(), s.toString());
        assertEquals(0, s.waitedReservations(), "room that only credit held must not be waited for: " + s);
        assertEquals(0, s.failedReservations(), s.toString());
        assertTrue(s.peakReservedMemory() <= LIMIT, s.toString());
        assertTrue(ledger.charged() <= LIMIT);
        assertEquals(ledger.charged(), ledger.credit(), "all that is charged now is credit");
    }

    @Test
    void aSnapshotNeverCatchesACountHalfFolded() throws Exception {
        // One thread makes 3 million reservations of one byte on stripe 0, each released before the
        // next: its counts fold once each (every 2^21). Live blocks are 0 or 1 in every snapshot.
        Ledger ledger = new Ledger(LIMIT, Ledger.Reclaimer.NONE, 4, 100);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread churn = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < 3_000_000; i++) {
                    ledger.tryReserve(0, 1);
                    ledger.release(0, 1, 1);
                }
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                done.set(true);
            }
        });
        long snapshots = 0;
        long freedBefore = 0;
        while (!done.get()) {
            var s = ledger.snapshot(0, 0);
            assertTrue(s.count() <= 1, s.toString());
            assertTrue(s.freedExplicitly() >= freedBefore, s + " after " + freedBefore);
            freedBefore = s.freedExplicitly();
            snapshots++;
        }
        churn.join();
        assertNull(failure.get());
        assertTrue(snapshots > 10, "the snapshots must overlap the churn: " + snapshots);
        var s = ledger.snapshot(0, 0);
        assertEquals(3_000_000, s.freedExplicitly());
        assertEquals(0, s.count());
        assertEquals(0, s.totalCapacity());
    }
}
