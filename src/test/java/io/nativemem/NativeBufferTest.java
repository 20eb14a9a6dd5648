package io.nativemem;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.ValueLayout;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.InvalidMarkException;
import java.nio.ReadOnlyBufferException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ByteBuffer vocabulary, checked against ByteBuffer itself where the two must agree. */
class NativeBufferTest {

    private NativeArena arena;
    private NativeBuffer buffer;

    @BeforeEach
    void allocate() {
        arena = NativeArena.ofConfined();
        buffer = arena.allocateBuffer(64);
    }

    @AfterEach
    void free() {
        arena.close();
    }

    @Test
    void cursorFollowsBufferInvariants() {
        assertEquals(64, buffer.capacity());
        assertEquals(0, buffer.position());
        assertEquals(64, buffer.limit());
        assertEquals(64, buffer.remaining());
        buffer.position(10).mark().position(20);
        buffer.reset();
        assertEquals(10, buffer.position());
        buffer.position(5); // below the mark: discarded
        assertThrows(InvalidMarkException.class, buffer::reset);
        buffer.position(30).mark().limit(20);
        assertEquals(20, buffer.position());
        assertThrows(InvalidMarkException.class, buffer::reset);
        buffer.clear();
        assertEquals(0, buffer.position());
        assertEquals(64, buffer.limit());
        buffer.position(12).flip();
        assertEquals(12, buffer.limit());
        assertEquals(0, buffer.position());
        buffer.position(4).mark().rewind();
        assertEquals(0, buffer.position());
        assertThrows(InvalidMarkException.class, buffer::reset);
        assertTrue(buffer.hasRemaining());
        buffer.position(12);
        assertFalse(buffer.hasRemaining());
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, 65, Long.MIN_VALUE, Long.MAX_VALUE})
    void badPositionsAndLimitsNameTheValue(long bad) {
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class, () -> buffer.position(bad));
        assertTrue(p.getMessage().contains(String.valueOf(bad)), p.getMessage());
        IllegalArgumentException l = assertThrows(IllegalArgumentException.class, () -> buffer.limit(bad));
        assertTrue(l.getMessage().contains(String.valueOf(bad)), l.getMessage());
        buffer.limit(10);
        assertThrows(IllegalArgumentException.class, () -> buffer.position(11));
    }

    @ParameterizedTest
    @ValueSource(strings = {"BIG_ENDIAN", "LITTLE_ENDIAN"})
    void everyTypeReadsBackAndMatchesByteBufferLayout(String orderName) {
        ByteOrder order = orderName.equals("BIG_ENDIAN") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        buffer.order(order);
        ByteBuffer reference = ByteBuffer.allocate(64).order(order);
        buffer.put((byte) -7).putShort((short) -12345).putChar('\u20ac').putInt(0xCAFEBABE)
                .putLong(0x0123456789ABCDEFL).putFloat(3.25f).putDouble(-1.0e300);
        reference.put((byte) -7).putShort((short) -12345).putChar('\u20ac').putInt(0xCAFEBABE)
                .putLong(0x0123456789ABCDEFL).putFloat(3.25f).putDouble(-1.0e300);
        assertEquals(reference.position(), buffer.position());
        byte[] ours = new byte[reference.position()];
        buffer.flip().get(ours);
        assertArrayEquals(java.util.Arrays.copyOf(reference.array(), ours.length), ours);
        buffer.rewind();
        assertEquals((byte) -7, buffer.get());
        assertEquals((short) -12345, buffer.getShort());
        assertEquals('\u20ac', buffer.getChar());
        assertEquals(0xCAFEBABE, buffer.getInt());
        assertEquals(0x0123456789ABCDEFL, buffer.getLong());
        assertEquals(3.25f, buffer.getFloat());
        assertEquals(-1.0e300, buffer.getDouble());
        assertEquals(0x0123456789ABCDEFL, buffer.getLong(9));
        assertEquals(3.25f, buffer.getFloat(17));
        assertEquals(-1.0e300, buffer.getDouble(21));
        assertEquals((short) -12345, buffer.getShort(1));
        assertEquals('\u20ac', buffer.getChar(3));
        assertEquals(0xCAFEBABE, buffer.getInt(5));
        assertEquals((byte) -7, buffer.get(0));
    }

    @Test
    void absoluteAccessorsWriteWithoutMovingTheCursor() {
        buffer.put(63, (byte) 1).putShort(40, (short) 2).putChar(42, 'c').putInt(44, 4).putLong(48, 8L)
                .putFloat(56, 1.5f).putDouble(0, 2.5);
        assertEquals(0, buffer.position());
        assertEquals(1, buffer.get(63));
        assertEquals(2, buffer.getShort(40));
        assertEquals('c', buffer.getChar(42));
        assertEquals(4, buffer.getInt(44));
        assertEquals(8L, buffer.getLong(48));
        assertEquals(1.5f, buffer.getFloat(56));
        assertEquals(2.5, buffer.getDouble(0));
        assertEquals(ByteOrder.BIG_ENDIAN, buffer.order());
        assertEquals(4, buffer.segment().get(ValueLayout.JAVA_BYTE, 47), "big-endian by default");
    }

    @Test
    void relativeAccessPastTheLimitUnderflowsOrOverflows() {
        buffer.limit(6).position(4);
        assertThrows(BufferUnderflowException.class, buffer::getInt);
        assertThrows(BufferOverflowException.class, () -> buffer.putInt(1));
        assertEquals(4, buffer.position());
        buffer.getShort();
        assertThrows(BufferUnderflowException.class, buffer::get);
        assertThrows(BufferOverflowException.class, () -> buffer.put((byte) 1));
        assertThrows(BufferUnderflowException.class, () -> buffer.get(new byte[1]));
        assertThrows(BufferOverflowException.class, () -> buffer.put(new byte[1]));
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, 61, 64, Long.MIN_VALUE, Long.MAX_VALUE})
    void absoluteAccessOutsideTheLimitIsOutOfBoundsAndNamesTheIndex(long index) {
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> buffer.getInt(index));
        assertTrue(e.getMessage().contains("index=" + index), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> buffer.putInt(index, 1));
        buffer.limit(8);
        assertThrows(IndexOutOfBoundsException.class, () -> buffer.get(8));
        assertEquals(0, buffer.get(7));
    }

    @Test
    void bulkTransfersHonourOffsetsAndBounds() {
        byte[] source = {1, 2, 3, 4, 5, 6};
        buffer.put(source, 2, 3);
        assertEquals(3, buffer.position());
        assertEquals(3, buffer.get(0));
        assertEquals(5, buffer.get(2));
        assertThrows(IndexOutOfBoundsException.class, () -> buffer.put(source, 4, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> buffer.put(source, -1, 1));
        byte[] target = new byte[5];
        buffer.flip().get(target, 1, 3);
        assertArrayEquals(new byte[] {0, 3, 4, 5, 0}, target);
        assertThrows(IndexOutOfBoundsException.class, () -> buffer.get(target, 4, 2));
    }

    @Test
    void putFromAnotherNativeBufferAndFromHeapAndDirectByteBuffers() {
        NativeBuffer other = arena.allocateBuffer(8).putLong(0, 0x1122334455667788L);
        buffer.put(other);
        assertEquals(8, other.position());
        assertEquals(0x1122334455667788L, buffer.getLong(0));
        buffer.put(ByteBuffer.wrap(new byte[] {9, 8, 7}));
        buffer.put(ByteBuffer.allocateDirect(2).put(0, (byte) 6).put(1, (byte) 5));
        assertEquals(13, buffer.position());
        assertEquals(9, buffer.get(8));
        assertEquals(5, buffer.get(12));
        assertThrows(IllegalArgumentException.class, () -> buffer.put(buffer));
        assertThrows(BufferOverflowException.class, () -> buffer.put(ByteBuffer.allocate(52)));
        assertThrows(BufferOverflowException.class, () -> buffer.put(arena.allocateBuffer(52)));
        assertEquals(13, buffer.position());
    }

    @Test
    void viewsShareMemoryAndKeepTheirOwnCursor() {
        buffer.order(ByteOrder.LITTLE_ENDIAN).position(8).limit(24);
        NativeBuffer slice = buffer.slice();
        assertEquals(16, slice.capacity());
        assertEquals(0, slice.position());
        assertEquals(ByteOrder.LITTLE_ENDIAN, slice.order());
        slice.putInt(0, 42);
        assertEquals(42, buffer.getInt(8));
        assertEquals(8, slice.alignment());
        assertEquals(buffer.address() + 8, slice.address());

        NativeBuffer part = buffer.slice(4, 4);
        assertEquals(4, part.capacity());
        assertEquals(4, part.alignment());
        assertThrows(IndexOutOfBoundsException.class, () -> buffer.slice(20, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> buffer.slice(-1, 2));

        NativeBuffer duplicate = buffer.duplicate();
        assertEquals(8, duplicate.position());
        assertEquals(24, duplicate.limit());
        duplicate.position(0);
        assertEquals(8, buffer.position());

        NativeBuffer readOnly = buffer.asReadOnlyBuffer();
        assertTrue(readOnly.isReadOnly());
        assertEquals(42, readOnly.getInt(8));
        assertThrows(ReadOnlyBufferException.class, () -> readOnly.putInt(0, 1));
        assertThrows(ReadOnlyBufferException.class, () -> readOnly.put((byte) 1));
        assertThrows(ReadOnlyBufferException.class, () -> readOnly.put(new byte[1]));
        assertThrows(ReadOnlyBufferException.class, () -> readOnly.put(ByteBuffer.allocate(1)));
        assertTrue(readOnly.segment().isReadOnly());
        assertTrue(readOnly.asByteBuffer().isReadOnly());
        assertEquals(8, readOnly.position(), "a refused write leaves the cursor alone");

        ByteBuffer nio = buffer.asByteBuffer();
        assertTrue(nio.isDirect());
        assertEquals(16, nio.remaining());
        assertEquals(ByteOrder.LITTLE_ENDIAN, nio.order());
        assertEquals(42, nio.getInt(0));
        nio.putInt(4, 7);
        assertEquals(7, buffer.getInt(12));
        assertEquals(64, buffer.segment().byteSize());
        assertSame(buffer.segment(), buffer.segment());
    }

    @Test
    void orderRejectsNull() {
        assertThrows(NullPointerException.class, () -> buffer.order(null));
    }

    @Test
    void toStringShowsTheCursor() {
        assertTrue(buffer.toString().contains("pos=0 lim=64 cap=64"), buffer.toString());
    }
}
