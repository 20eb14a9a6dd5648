package io.nativemem.forked;

import io.nativemem.MemoryStats;
import io.nativemem.NativeArena;
import io.nativemem.NativeBuffer;
import io.nativemem.testing.LedgerBalanceExtension;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Closes shared arenas (or, with the argument {@code direct}, GC-managed buffers one by one;
 * {@code direct-large}, buffers of 128 KiB, each alone in its cohort; {@code direct-foreign}, GC-managed
 * buffers that the readers allocated themselves, so that each reads its own in its confined scope
 * and the others' after moving them, closed by the main thread, which allocated none of them)
 * while reader threads are in the middle of reading them, ROUNDS times with random delays. Every
 * reader must see only the written values, then exactly one IllegalStateException; close() must
 * succeed; the ledger must end empty. Prints one summary line.
 */
public final class CloseWhileInUseProbe {

    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        String what = args.length > 1 ? args[1] : "arena";
        boolean direct = what.startsWith("direct");
        // GC-managed buffers read through their segment() and asByteBuffer() views instead of the
        // buffer: those cannot check the block's closed flag and must die with close() all the same.
        boolean views = what.equals("direct-views");
        // Blocks over 64 KiB are alone in their cohort, whose scope close() closes: what stops
        // their readers is that close, not only the flag.
        boolean foreign = what.equals("direct-foreign");
        long size = what.equals("direct-large") ? 128 << 10 : foreign ? 64 << 10 : 1024;
        // The readers of direct-foreign go over whole 64 KiB buffers: long loops, which the JIT
        // checks once, so that a close lands in the middle of one.
        long written = foreign ? size : 1024;
        int readers = 3;
        long closedSeen = 0;
        for (int round = 0; round < rounds; round++) {
            NativeArena arena = direct ? null : NativeArena.ofShared();
            List<NativeBuffer> buffers = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < (foreign ? 0 : 8); i++) {
                NativeBuffer buffer = direct ? NativeBuffer.allocateDirect(size) : arena.allocateBuffer(1024);
                for (long j = 0; j < 1024; j += 8) {
                    buffer.putLong(j, j ^ 0x5A5AL);
                }
                buffers.add(buffer);
            }
            CountDownLatch started = new CountDownLatch(readers);
            CountDownLatch allocated = new CountDownLatch(readers);
            List<NativeBuffer> everyones = java.util.Collections.synchronizedList(new ArrayList<>());
            AtomicInteger closed = new AtomicInteger();
            AtomicReference<Throwable> wrong = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int r = 0; r < readers; r++) {
                boolean throughSegment = r % 2 == 0;
                List<MemorySegment> segments = new ArrayList<>();
                List<ByteBuffer> byteBuffers = new ArrayList<>();
                if (views) {
                    for (NativeBuffer buffer : buffers) {
                        segments.add(buffer.segment());
                        byteBuffers.add(buffer.asByteBuffer());
                    }
                }
                Thread reader = new Thread(() -> {
                    try {
                        List<NativeBuffer> read = buffers;
                        if (foreign) {
                            // Three buffers of its own; the first is also read by the other readers
                            // (it moves to a cohort), the other two by this thread only (they stay
                            // in its confined scope, and the main thread's close cannot close that).
                            read = new ArrayList<>();
                            for (int i = 0; i < 3; i++) {
                                NativeBuffer own = NativeBuffer.allocateDirect(size);
                                for (long j = 0; j < written; j += 8) {
                                    own.putLong(j, j ^ 0x5A5AL);
                                }
                                buffers.add(own);
                                read.add(own);
                            }
                            everyones.add(read.get(0));
                            allocated.countDown();
                            allocated.await();
                            for (NativeBuffer shared : everyones) {
                                if (shared != read.get(0)) {
                                    read.add(shared);
                                }
                            }
                        }
                        started.countDown();
                        for (;;) {
                            for (int b = 0; b < read.size(); b++) {
                                NativeBuffer buffer = read.get(b);
                                for (long j = 0; j < written; j += 8) {
                                    long v = !views ? buffer.getLong(j)
                                            : throughSegment ? segments.get(b).get(LONG_BE, j)
                                            : byteBuffers.get(b).getLong((int) j);
                                    if (v != (j ^ 0x5A5AL)) {
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
                if (foreign) {
                    // Blocks of the same size, zeroed: had a close freed a block that a reader is
                    // still in, malloc would hand its memory back here and the reader would read 0.
                    for (int i = 0; i < 9; i++) {
                        NativeBuffer.allocateDirect(size).close();
                    }
                }
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
        // A closed GC-managed block returns to the limit when its cohort's scope is closed, which
        // may come a little after its close(): wait for that, as the other probes do.
        MemoryStats after = LedgerBalanceExtension.Ledger.awaitEmpty();
        System.out.println("rounds=" + rounds + " readersStoppedByClose=" + closedSeen + " liveBlocks="
                + after.count() + " capacity=" + after.totalCapacity());
    }
}
