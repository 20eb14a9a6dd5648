package io.nativemem;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Confined and shared arenas: the pipeline, the ledger, and what closing does to every view. */
class ExplicitArenaTest {

    enum Kind {
        CONFINED(NativeArena::ofConfined), SHARED(NativeArena::ofShared);

        final Supplier<NativeArena> factory;

        Kind(Supplier<NativeArena> factory) {
            this.factory = factory;
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void allocationsAreZeroedCountedAndFreedOnClose(Kind kind) {
        MemoryStats before = NativeMemory.stats();
        try (NativeArena arena = kind.factory.get()) {
            MemorySegment segment = arena.allocate(1000, 8);
            NativeBuffer buffer = arena.allocateBuffer(4096);
            for (long i = 0; i < 1000; i++) {
                assertEquals(0, segment.get(ValueLayout.JAVA_BYTE, i));
            }
            for (long i = 0; i < 4096; i += 8) {
                assertEquals(0, buffer.getLong(i));
            }
            MemoryStats during = NativeMemory.stats();
            assertEquals(before.count() + 2, during.count());
            assertEquals(before.totalCapacity() + 5096, during.totalCapacity());
            // The 1000 bytes came from a slab of 1008; the 4096 did not fit in its last 8 and opened the
            // next: those 8 bytes hold no block, and count as reserved from then on.
            assertEquals(before.reservedMemory() + 5096 + 8, during.reservedMemory());
        }
        MemoryStats after = NativeMemory.stats();
        assertEquals(before.count(), after.count());
        assertEquals(before.totalCapacity(), after.totalCapacity());
        assertEquals(before.reservedMemory(), after.reservedMemory());
        assertEquals(before.freedExplicitly() + 2, after.freedExplicitly());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void closingKillsEverySegmentBufferSliceAndByteBufferView(Kind kind) {
        NativeArena arena = kind.factory.get();
        MemorySegment segment = arena.allocate(64);
        NativeBuffer buffer = arena.allocateBuffer(64);
        NativeBuffer slice = buffer.slice(8, 16);
        NativeBuffer duplicate = buffer.duplicate();
        NativeBuffer readOnly = buffer.asReadOnlyBuffer();
        ByteBuffer nio = buffer.asByteBuffer();
        MemorySegment bufferSegment = buffer.segment();
        arena.close();
        assertFalse(arena.scope().isAlive());
        assertFalse(buffer.isAlive());
        assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> buffer.getInt(0));
        assertThrows(IllegalStateException.class, buffer::getLong);
        assertThrows(IllegalStateException.class, () -> slice.put((byte) 1));
        assertThrows(IllegalStateException.class, () -> duplicate.get(0));
        assertThrows(IllegalStateException.class, () -> readOnly.get(0));
        assertThrows(IllegalStateException.class, () -> nio.get(0));
        assertThrows(IllegalStateException.class, () -> bufferSegment.get(ValueLayout.JAVA_INT, 0));
        assertEquals(0, buffer.position(), "a failed relative get must not move the cursor");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void closingTwiceAndAllocatingAfterCloseThrowIllegalState(Kind kind) {
        NativeArena arena = kind.factory.get();
        arena.close();
        MemoryStats before = NativeMemory.stats();
        assertThrows(IllegalStateException.class, arena::close);
        assertThrows(IllegalStateException.class, () -> arena.allocate(16, 8));
        assertThrows(IllegalStateException.class, () -> arena.allocateBuffer(16));
        assertEquals(before.count(), NativeMemory.stats().count());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void closingABufferOfAnArenaLeavesItToTheArena(Kind kind) {
        NativeBuffer kept;
        long countBefore = NativeMemory.stats().count();
        try (NativeArena arena = kind.factory.get(); NativeBuffer buffer = arena.allocateBuffer(8)) {
            kept = buffer;
            buffer.putLong(0, 42);
            buffer.close();
            buffer.close();
            assertTrue(buffer.isAlive());
            assertEquals(42, buffer.getLong(0));
            assertEquals(countBefore + 1, NativeMemory.stats().count());
        }
        assertFalse(kept.isAlive());
        assertEquals(countBefore, NativeMemory.stats().count());
    }

    @Test
    void aConfinedArenaRefusesOtherThreads() throws Exception {
        try (NativeArena arena = NativeArena.ofConfined()) {
            NativeBuffer buffer = arena.allocateBuffer(16);
            for (Runnable action : List.<Runnable>of(
                    () -> arena.allocate(8, 8), () -> arena.allocateBuffer(8), arena::close, () -> buffer.getInt(0))) {
                WrongThreadException e = assertInstanceOf(WrongThreadException.class, runElsewhere(action));
                assertTrue(e.getMessage().contains("owner: " + Thread.currentThread().getName())
                        && e.getMessage().contains("current: elsewhere"), e.getMessage());
            }
            assertTrue(arena.scope().isAlive());
        }
    }

    private static Throwable runElsewhere(Runnable action) throws InterruptedException {
        Throwable[] thrown = new Throwable[1];
        Thread thread = new Thread(() -> {
            try {
                action.run();
            } catch (Throwable t) {
                thrown[0] = t;
            }
        }, "elsewhere");
        thread.start();
        thread.join();
        return thrown[0];
    }

    @Test
    void aSharedArenaServesManyThreads() throws Exception {
        MemoryStats before = NativeMemory.stats();
        try (NativeArena arena = NativeArena.ofShared()) {
            List<Thread> threads = new ArrayList<>();
            List<NativeBuffer> buffers = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 4; t++) {
                int id = t;
                Thread thread = new Thread(() -> {
                    for (int i = 0; i < 250; i++) {
                        buffers.add(arena.allocateBuffer(128).putInt(0, id));
                    }
                });
                threads.add(thread);
                thread.start();
            }
            for (Thread thread : threads) {
                thread.join();
            }
            assertEquals(1000, buffers.size());
            assertEquals(before.count() + 1000, NativeMemory.stats().count());
        }
        assertEquals(before.count(), NativeMemory.stats().count());
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21})
    void alignmentsFrom8BytesTo2MiBAreHonoured(int log2) {
        long alignment = 1L << log2;
        try (NativeArena arena = NativeArena.ofConfined()) {
            for (long size : new long[] {0, 1, alignment - 1, alignment, alignment + 1}) {
                MemorySegment segment = arena.allocate(size, alignment);
                assertEquals(0, segment.address() % alignment, "size " + size + " alignment " + alignment);
                assertEquals(size, segment.byteSize());
                if (size > 0) {
                    assertEquals(0, segment.get(ValueLayout.JAVA_BYTE, size - 1));
                    segment.set(ValueLayout.JAVA_BYTE, size - 1, (byte) 7);
                }
            }
            NativeBuffer buffer = arena.allocateBuffer(100, alignment);
            assertEquals(0, buffer.address() % alignment);
            assertEquals(Math.max(16, alignment), buffer.alignment());
            MemoryStats stats = NativeMemory.stats();
            if (alignment > 4096) { // blocks of their own, from posix_memalign: nothing beyond their capacity
                assertEquals(stats.totalCapacity(), stats.reservedMemory(), "no over-allocation for alignment");
            } else { // carved from slabs, padded inside them
                assertTrue(stats.reservedMemory() >= stats.totalCapacity(), stats.toString());
            }
        }
        assertEquals(0, NativeMemory.stats().reservedMemory() - NativeMemory.stats().totalCapacity());
    }

    @Test
    void zeroSizeAllocationsAreCountedAndFreed() {
        MemoryStats before = NativeMemory.stats();
        try (NativeArena arena = NativeArena.ofConfined()) {
            MemorySegment empty = arena.allocate(0, 1);
            assertEquals(0, empty.byteSize());
            NativeBuffer buffer = arena.allocateBuffer(0);
            assertFalse(buffer.hasRemaining());
            assertEquals(before.count() + 2, NativeMemory.stats().count());
            assertEquals(before.totalCapacity(), NativeMemory.stats().totalCapacity());
        }
        assertEquals(before.count(), NativeMemory.stats().count());
    }

    @Test
    void anArenaWorksAsASegmentAllocator() {
        try (NativeArena arena = NativeArena.ofConfined()) {
            MemorySegment text = arena.allocateFrom("nativemem");
            assertEquals("nativemem", text.getString(0));
            MemorySegment ints = arena.allocateFrom(ValueLayout.JAVA_INT, 1, 2, 3);
            assertEquals(3, ints.getAtIndex(ValueLayout.JAVA_INT, 2));
        }
    }
}
