package io.nativemem;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every buffer accessor x every misuse: a bad index, a freed buffer, a read-only view, another
 * thread. Each case checks the exception type, that the message names the value where there is
 * one, and that neither the ledger nor the cursor moved.
 */
class BufferMisuseTest {

    /** An accessor: its name, how many bytes it touches, whether it writes, and how to call it at an index. */
    record Accessor(String name, int bytes, boolean writes, Call call) {
        @Override
        public String toString() {
            return name;
        }
    }

    interface Call {
        void at(NativeBuffer buffer, long index);
    }

    static final List<Accessor> ACCESSORS = List.of(
            new Accessor("get(long)", 1, false, NativeBuffer::get),
            new Accessor("put(long, byte)", 1, true, (b, i) -> b.put(i, (byte) 1)),
            new Accessor("getShort(long)", 2, false, NativeBuffer::getShort),
            new Accessor("putShort(long, short)", 2, true, (b, i) -> b.putShort(i, (short) 1)),
            new Accessor("getChar(long)", 2, false, NativeBuffer::getChar),
            new Accessor("putChar(long, char)", 2, true, (b, i) -> b.putChar(i, 'x')),
            new Accessor("getInt(long)", 4, false, NativeBuffer::getInt),
            new Accessor("putInt(long, int)", 4, true, (b, i) -> b.putInt(i, 1)),
            new Accessor("getFloat(long)", 4, false, NativeBuffer::getFloat),
            new Accessor("putFloat(long, float)", 4, true, (b, i) -> b.putFloat(i, 1f)),
            new Accessor("getLong(long)", 8, false, NativeBuffer::getLong),
            new Accessor("putLong(long, long)", 8, true, (b, i) -> b.putLong(i, 1L)),
            new Accessor("getDouble(long)", 8, false, NativeBuffer::getDouble),
            new Accessor("putDouble(long, double)", 8, true, (b, i) -> b.putDouble(i, 1d)));

    /** Relative accessors and bulk transfers, called at the position. */
    static final List<Accessor> RELATIVE = List.of(
            new Accessor("get()", 1, false, (b, i) -> b.get()),
            new Accessor("put(byte)", 1, true, (b, i) -> b.put((byte) 1)),
            new Accessor("getShort()", 2, false, (b, i) -> b.getShort()),
            new Accessor("putShort(short)", 2, true, (b, i) -> b.putShort((short) 1)),
            new Accessor("getChar()", 2, false, (b, i) -> b.getChar()),
            new Accessor("putChar(char)", 2, true, (b, i) -> b.putChar('x')),
            new Accessor("getInt()", 4, false, (b, i) -> b.getInt()),
            new Accessor("putInt(int)", 4, true, (b, i) -> b.putInt(1)),
            new Accessor("getFloat()", 4, false, (b, i) -> b.getFloat()),
            new Accessor("putFloat(float)", 4, true, (b, i) -> b.putFloat(1f)),
            new Accessor("getLong()", 8, false, (b, i) -> b.getLong()),
            new Accessor("putLong(long)", 8, true, (b, i) -> b.putLong(1L)),
            new Accessor("getDouble()", 8, false, (b, i) -> b.getDouble()),
            new Accessor("putDouble(double)", 8, true, (b, i) -> b.putDouble(1d)),
            new Accessor("get(byte[])", 4, false, (b, i) -> b.get(new byte[4])),
            new Accessor("put(byte[])", 4, true, (b, i) -> b.put(new byte[4])),
            new Accessor("get(long, byte[])", 4, false, (b, i) -> b.get(i, new byte[4])),
            new Accessor("put(long, byte[])", 4, true, (b, i) -> b.put(i, new byte[4])),
            new Accessor("get(ByteBuffer)", 4, false, (b, i) -> b.get(ByteBuffer.allocate(4))),
            new Accessor("put(ByteBuffer)", 4, true, (b, i) -> b.put(ByteBuffer.allocate(4))),
            new Accessor("compact()", 0, true, (b, i) -> b.compact()),
            new Accessor("hashCode()", 0, false, (b, i) -> b.hashCode()));

    private static final int CAPACITY = 64;
    private static final NativeArena ARENA = NativeArena.ofShared();

    @AfterAll
    static void close() {
        ARENA.close();
    }

    static Stream<Arguments> badIndices() {
        List<Arguments> cases = new ArrayList<>();
        for (Accessor accessor : ACCESSORS) {
            for (long index : new long[] {-1, Long.MIN_VALUE, Long.MAX_VALUE, CAPACITY, CAPACITY - accessor.bytes() + 1}) {
                cases.add(Arguments.of(accessor, index));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} at {1}")
    @MethodSource("badIndices")
    void anIndexOutsideTheLimitIsOutOfBoundsAndNamed(Accessor accessor, long index) {
        NativeBuffer buffer = ARENA.allocateBuffer(CAPACITY).position(3);
        MemoryStats before = NativeMemory.stats();
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> accessor.call().at(buffer, index));
        assertTrue(e.getMessage().contains("index=" + index), e.getMessage());
        assertEquals(3, buffer.position());
        // Nothing allocated; closed GC-managed blocks of earlier tests may be freed meanwhile
        // (their cohort is freed when it can be), so the ledger may only go down.
        assertTrue(NativeMemory.stats().count() <= before.count());
        assertTrue(NativeMemory.stats().totalCapacity() <= before.totalCapacity());
    }

    @ParameterizedTest(name = "{0} at the last index that fits")
    @MethodSource("accessors")
    void theLastIndexThatFitsIsFine(Accessor accessor) {
        NativeBuffer buffer = ARENA.allocateBuffer(CAPACITY);
        accessor.call().at(buffer, CAPACITY - accessor.bytes());
    }

    static Stream<Accessor> accessors() {
        return ACCESSORS.stream();
    }

    static Stream<Accessor> everything() {
        return Stream.concat(ACCESSORS.stream(), RELATIVE.stream());
    }

    static Stream<Accessor> writers() {
        return everything().filter(Accessor::writes);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everything")
    void afterFreeEveryAccessThrowsIllegalState(Accessor accessor) {
        NativeBuffer buffer = NativeBuffer.allocateDirect(CAPACITY);
        NativeBuffer view = buffer.duplicate().position(8);
        buffer.close();
        MemoryStats before = NativeMemory.stats();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> accessor.call().at(view, 8));
        assertTrue(e.getMessage().contains("GC-managed buffer was closed"), e.getMessage());
        assertEquals(8, view.position(), "the cursor did not move");
        assertTrue(NativeMemory.stats().count() <= before.count(), "nothing allocated");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everything")
    void afterCloseTheBufferItselfRefusesEveryAccess(Accessor accessor) {
        // The buffer allocateDirect returns skips the closed-flag check: its view is emptied
        // by close(), and the failure must still read as a closed buffer, not as a bounds error.
        NativeBuffer buffer = NativeBuffer.allocateDirect(CAPACITY).position(8);
        buffer.close();
        buffer.clear(); // the cursor cannot bring a closed buffer's bytes back
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> accessor.call().at(buffer, 8));
        assertTrue(e.getMessage().contains("GC-managed buffer was closed"), e.getMessage());
        assertEquals(0, buffer.remaining(), "a closed buffer has no bytes to offer");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everything")
    void afterItsArenaClosedEveryAccessSaysWhichArena(Accessor accessor) {
        NativeArena confined = NativeArena.ofConfined();
        NativeBuffer buffer = confined.allocateBuffer(CAPACITY).position(8);
        confined.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> accessor.call().at(buffer, 8));
        assertTrue(e.getMessage().contains("confined arena was closed"), e.getMessage());
        assertEquals(8, buffer.position(), "the cursor did not move");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("writers")
    void aReadOnlyViewRefusesEveryWrite(Accessor accessor) {
        NativeBuffer readOnly = ARENA.allocateBuffer(CAPACITY).asReadOnlyBuffer().position(8);
        assertThrows(ReadOnlyBufferException.class, () -> accessor.call().at(readOnly, 8));
        assertEquals(8, readOnly.position(), "the cursor did not move");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everything")
    void anotherThreadMayNotTouchAConfinedBuffer(Accessor accessor) throws InterruptedException {
        try (NativeArena confined = NativeArena.ofConfined()) {
            NativeBuffer buffer = confined.allocateBuffer(CAPACITY).position(8);
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread other = new Thread(() -> {
                try {
                    accessor.call().at(buffer, 8);
                } catch (Throwable t) {
                    thrown.set(t);
                }
            }, "intruder");
            other.start();
            other.join();
            WrongThreadException e = assertInstanceOf(WrongThreadException.class, thrown.get());
            assertTrue(e.getMessage().contains("owner: " + Thread.currentThread().getName())
                    && e.getMessage().contains("current: intruder"), e.getMessage());
            assertEquals(8, buffer.position(), "the cursor did not move");
        }
    }

    @ParameterizedTest(name = "alignment {0} larger than a size of 8")
    @MethodSource("largeAlignments")
    void anAlignmentLargerThanTheSizeIsHonoured(long alignment) {
        try (NativeArena arena = NativeArena.ofConfined()) {
            assertEquals(0, arena.allocate(8, alignment).address() % alignment);
            assertEquals(0, arena.allocateBuffer(8, alignment).address() % alignment);
        }
    }

    static Stream<Long> largeAlignments() {
        return Stream.of(16L, 64L, 4096L, 1L << 16);
    }
}
