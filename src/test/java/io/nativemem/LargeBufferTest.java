package io.nativemem;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Capacities past 2 GiB with long indices (the test JVM runs with a 6 GiB limit). */
class LargeBufferTest {

    private static final long THREE_GIB = 3L << 30;

    @Test
    void aBufferLargerThan2GiBIsWrittenAndReadPastIndex2Pow31() {
        long before = NativeMemory.stats().totalCapacity();
        try (NativeArena arena = NativeArena.ofConfined()) {
            NativeBuffer buffer = arena.allocateBuffer(THREE_GIB);
            assertEquals(THREE_GIB, buffer.capacity());
            long past = (1L << 31) + 12345;
            assertEquals(0, buffer.getLong(past), "zeroed");
            buffer.putLong(past, 0x0102030405060708L);
            buffer.putInt(THREE_GIB - 4, -1);
            assertEquals(0x0102030405060708L, buffer.getLong(past));
            assertEquals(-1, buffer.getInt(THREE_GIB - 4));
            assertEquals(0, buffer.getLong(THREE_GIB - 16));
            buffer.position(THREE_GIB - 8);
            assertEquals(8, buffer.remaining());
            buffer.putLong(42);
            assertEquals(42, buffer.getLong(THREE_GIB - 8));
            NativeBuffer tail = buffer.slice(past, 16);
            assertEquals(0x0102030405060708L, tail.getLong(0));
            assertThrows(IndexOutOfBoundsException.class, () -> buffer.getLong(THREE_GIB - 7));
            assertThrows(UnsupportedOperationException.class, () -> buffer.position(0).asByteBuffer());
            assertEquals(before + THREE_GIB, NativeMemory.stats().totalCapacity());
        }
        assertEquals(before, NativeMemory.stats().totalCapacity());
    }

    /**
     * Zeroing 3 GiB takes seconds (fresh pages). A critical downcall would keep the zeroing
     * thread in the Java state for all of it, and a GC requested meanwhile would wait for the
     * end of the zeroing (measured: System.gc() took as long as the rest of the zeroing); with
     * plain downcalls for large blocks, the GC runs while the zeroing goes on.
     */
    @Test
    void aGcRequestedWhileALargeBlockIsZeroedDoesNotWaitForTheZeroing() throws InterruptedException {
        long[] allocatedAt = new long[1];
        Thread zeroer = new Thread(() -> {
            try (NativeArena arena = NativeArena.ofConfined()) {
                arena.allocate(THREE_GIB, 4096); // posix_memalign, then memset over 3 GiB
                allocatedAt[0] = System.nanoTime();
            }
        });
        zeroer.start();
        Thread.sleep(100);
        long gcAskedAt = System.nanoTime();
        System.gc();
        long gcTook = System.nanoTime() - gcAskedAt;
        zeroer.join();
        long zeroingLeft = allocatedAt[0] - gcAskedAt;
        assertTrue(gcTook < zeroingLeft / 2, "System.gc() took " + gcTook / 1_000_000 + " ms while the zeroing"
                + " went on for " + zeroingLeft / 1_000_000 + " ms: it waited for the zeroing");
    }

    @Test
    void aSegmentLargerThan2GiBFromAnAutoArenaIsZeroed() {
        MemorySegment segment = NativeArena.ofAuto().allocate(THREE_GIB, 4096);
        assertEquals(0, segment.address() % 4096);
        assertEquals(0, segment.get(ValueLayout.JAVA_LONG, THREE_GIB - 8));
        segment.set(ValueLayout.JAVA_LONG, THREE_GIB - 8, 5);
        assertEquals(5, segment.get(ValueLayout.JAVA_LONG, THREE_GIB - 8));
    }
}
