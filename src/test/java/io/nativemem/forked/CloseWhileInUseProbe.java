package io.nativemem.forked;

import io.nativemem.NativeArena;
import io.nativemem.NativeBuffer;
import io.nativemem.NativeMemory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Closes shared arenas (or, with the argument {@code direct}, GC-managed buffers one by one)
 * while reader threads are in the middle of reading them, ROUNDS times with random delays. Every
 * reader must see only the written values, then exactly one IllegalStateException; close() must
 * succeed; the ledger must end empty. Prints one summary line.
 */
public final class CloseWhileInUseProbe {

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        boolean direct = args.length > 1 && args[1].equals("direct");
        int readers = 3;
        long closedSeen = 0;
        for (int round = 0; round < rounds; round++) {
            NativeArena arena = direct ? null : NativeArena.ofShared();
            List<NativeBuffer> buffers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                NativeBuffer buffer = direct ? NativeBuffer.allocateDirect(1024) : arena.allocateBuffer(1024);
                for (long j = 0; j < 1024; j += 8) {
                    buffer.putLong(j, j ^ 0x5A5AL);
                }
                buffers.add(buffer);
            }
            CountDownLatch started = new CountDownLatch(readers);
            AtomicInteger closed = new AtomicInteger();
            AtomicReference<Throwable> wrong = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int r = 0; r < readers; r++) {
                Thread reader = new Thread(() -> {
                    started.countDown();
                    try {
                        for (;;) {
                            for (NativeBuffer buffer : buffers) {
                                for (long j = 0; j < 1024; j += 8) {
                                    if (buffer.getLong(j) != (j ^ 0x5A5AL)) {
                                        throw new AssertionError("read a wrong value at " + j);
                                    }
                                }
                            }
                        }
                    } catch (IllegalStateException expected) {
                        closed.incrementAndGet();
                    } catch (Throwable t) {
                        wrong.set(t);
                    }
                });
                threads.add(reader);
                reader.start();
            }
            started.await();
            long delay = ThreadLocalRandom.current().nextLong(0, 2_000_000);
            long until = System.nanoTime() + delay;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            if (direct) {
                java.util.Collections.shuffle(buffers);
                buffers.forEach(NativeBuffer::close);
            } else {
                arena.close();
            }
            for (Thread thread : threads) {
                thread.join(30_000);
                if (thread.isAlive()) {
                    throw new AssertionError("a reader did not stop after close, round " + round);
                }
            }
            if (wrong.get() != null) {
                throw new AssertionError("round " + round, wrong.get());
            }
            if (closed.get() != readers) {
                throw new AssertionError("round " + round + ": " + closed.get() + " of " + readers + " readers saw the close");
            }
            closedSeen += closed.get();
        }
        System.out.println("rounds=" + rounds + " readersStoppedByClose=" + closedSeen + " liveBlocks="
                + NativeMemory.stats().count() + " capacity=" + NativeMemory.stats().totalCapacity());
    }
}
