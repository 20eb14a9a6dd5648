package io.nativemem;

import org.junit.jupiter.api.RepeatedTest;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Closing a shared arena while other threads read it: readers finish or get IllegalStateException, never a crash. */
class SharedCloseTest {

    @RepeatedTest(10)
    void readersSeeTheValueOrIllegalStateAfterClose() throws Exception {
        MemoryStats before = NativeMemory.stats();
        NativeArena arena = NativeArena.ofShared();
        List<NativeBuffer> buffers = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            NativeBuffer buffer = arena.allocateBuffer(4096);
            for (long j = 0; j < 4096; j += 8) {
                buffer.putLong(j, 0x5A5A5A5A5A5A5A5AL);
            }
            buffers.add(buffer);
        }
        int readers = 4;
        CountDownLatch started = new CountDownLatch(readers);
        AtomicInteger closedSeen = new AtomicInteger();
        AtomicReference<Throwable> wrong = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < readers; r++) {
            Thread reader = new Thread(() -> {
                started.countDown();
                try {
                    for (;;) {
                        for (NativeBuffer buffer : buffers) {
                            for (long j = 0; j < 4096; j += 8) {
                                long v = buffer.getLong(j);
                                if (v != 0x5A5A5A5A5A5A5A5AL) {
                                    wrong.set(new AssertionError("read " + Long.toHexString(v)));
                                    return;
                                }
                            }
                        }
                    }
                } catch (IllegalStateException expected) {
                    closedSeen.incrementAndGet();
                } catch (Throwable t) {
                    wrong.set(t);
                }
            });
            threads.add(reader);
            reader.start();
        }
        started.await();
        Thread.sleep(ThreadLocalRandom.current().nextInt(1, 20));
        arena.close();
        for (Thread thread : threads) {
            thread.join(10_000);
            assertFalse(thread.isAlive());
        }
        assertNull(wrong.get());
        assertEquals(readers, closedSeen.get(), "every reader ends with exactly one IllegalStateException");
        assertTrue(buffers.stream().noneMatch(NativeBuffer::isAlive));
        assertEquals(before.count(), NativeMemory.stats().count());
        assertEquals(before.totalCapacity(), NativeMemory.stats().totalCapacity());
    }
}
