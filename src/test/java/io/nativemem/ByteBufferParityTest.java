package io.nativemem;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a {@code ByteBuffer} user reaches for after the accessors, checked against
 * {@code ByteBuffer} itself on random content: comparison ({@code equals}, {@code hashCode},
 * {@code compareTo}, {@code mismatch}), {@code compact()}, and the absolute bulk transfers.
 */
class ByteBufferParityTest {

    private static final NativeArena ARENA = NativeArena.ofShared();
    private static final Random RANDOM = new Random(20261123);

    @AfterAll
    static void close() {
        ARENA.close();
    }

    /** A native buffer and a heap ByteBuffer with the same bytes and the same cursor. */
    private record Pair(NativeBuffer nb, ByteBuffer bb) {
        static Pair random(int capacity, int alphabet) {
            byte[] bytes = new byte[capacity];
            for (int i = 0; i < capacity; i++) {
                bytes[i] = (byte) (RANDOM.nextInt(alphabet) - alphabet / 2);
            }
            NativeBuffer nb = ARENA.allocateBuffer(capacity).put(bytes).clear();
            ByteBuffer bb = ByteBuffer.wrap(bytes.clone());
            int limit = RANDOM.nextInt(capacity + 1);
            int position = RANDOM.nextInt(limit + 1);
            nb.limit(limit).position(position);
            bb.limit(limit).position(position);
            return new Pair(nb, bb);
        }
    }

    @RepeatedTest(200)
    void comparisonAgreesWithByteBuffer() {
        // A small alphabet and small sizes make equal and prefix cases frequent.
        int capacity = RANDOM.nextInt(40);
        int alphabet = 1 + RANDOM.nextInt(3);
        Pair a = Pair.random(capacity, alphabet);
        Pair b = Pair.random(capacity, alphabet);
        assertEquals(a.bb.equals(b.bb), a.nb.equals(b.nb), () -> a.bb + " vs " + b.bb);
        assertEquals(Integer.signum(a.bb.compareTo(b.bb)), Integer.signum(a.nb.compareTo(b.nb)));
        assertEquals(a.bb.compareTo(b.bb), a.nb.compareTo(b.nb), "the same value as ByteBuffer, not just the sign");
        assertEquals(a.bb.mismatch(b.bb), a.nb.mismatch(b.nb));
        assertEquals(a.bb.hashCode(), a.nb.hashCode());
        assertEquals(a.bb.position(), a.nb.position(), "comparison does not move the cursor");
        assertEquals(a.bb.equals(a.bb.duplicate()), a.nb.equals(a.nb.duplicate()));
    }

    @Test
    void equalityIgnoresCapacityOrderAndBytesOutsideTheRemaining() {
        NativeBuffer a = ARENA.allocateBuffer(16).put(new byte[] {9, 1, 2, 3, 9});
        NativeBuffer b = NativeBuffer.allocateDirect(3).order(ByteOrder.LITTLE_ENDIAN).put(new byte[] {1, 2, 3});
        a.position(1).limit(4);
        b.flip();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(0, a.compareTo(b));
        assertEquals(-1, a.mismatch(b));
        b.put(2, (byte) 4);
        assertNotEquals(a, b);
        assertEquals(2, a.mismatch(b));
        assertTrue(a.compareTo(b) < 0);
        assertNotEquals(a, a.segment(), "a segment is not a buffer");
        b.close();
    }

    @Test
    void compareToTreatsBytesAsSigned() {
        NativeBuffer negative = ARENA.allocateBuffer(1).put(0, (byte) -1);
        NativeBuffer positive = ARENA.allocateBuffer(1).put(0, (byte) 1);
        assertTrue(negative.compareTo(positive) < 0);
        assertEquals(ByteBuffer.wrap(new byte[] {-1}).compareTo(ByteBuffer.wrap(new byte[] {1})),
                negative.compareTo(positive));
    }

    @RepeatedTest(100)
    void compactAgreesWithByteBuffer() {
        Pair p = Pair.random(1 + RANDOM.nextInt(64), 256);
        if (RANDOM.nextBoolean()) {
            p.nb.mark();
            p.bb.mark();
        }
        p.nb.compact();
        p.bb.compact();
        assertEquals(p.bb.position(), p.nb.position());
        assertEquals(p.bb.limit(), p.nb.limit());
        byte[] expected = p.bb.array();
        byte[] actual = new byte[expected.length];
        p.nb.get(0, actual);
        assertArrayEquals(expected, actual);
        assertThrows(java.nio.InvalidMarkException.class, p.nb::reset, "compact discards the mark");
    }

    @Test
    void compactRefusesAReadOnlyBuffer() {
        NativeBuffer readOnly = ARENA.allocateBuffer(8).position(2).asReadOnlyBuffer();
        assertThrows(ReadOnlyBufferException.class, readOnly::compact);
        assertEquals(2, readOnly.position());
    }

    @Test
    void absoluteBulkTransfersLeaveTheCursorAlone() {
        NativeBuffer buffer = ARENA.allocateBuffer(32).position(5).limit(20);
        buffer.put(10, new byte[] {1, 2, 3, 4});
        buffer.put(2, new byte[] {7, 8, 9}, 1, 2);
        byte[] out = new byte[6];
        buffer.get(9, out);
        assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 0}, out);
        byte[] part = new byte[4];
        buffer.get(2, part, 1, 2);
        assertArrayEquals(new byte[] {0, 8, 9, 0}, part);
        assertEquals(5, buffer.position());
        assertEquals(20, buffer.limit());

        IndexOutOfBoundsException past = assertThrows(IndexOutOfBoundsException.class,
                () -> buffer.get(17, new byte[4]));
        assertTrue(past.getMessage().contains("index=17") && past.getMessage().contains("limit=20"),
                past.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> buffer.put(-1, new byte[1]));
        assertThrows(IndexOutOfBoundsException.class, () -> buffer.get(0, new byte[4], 3, 2));
        assertThrows(ReadOnlyBufferException.class, () -> buffer.asReadOnlyBuffer().put(0, new byte[1]));
    }

    @Test
    void bulkGetIntoAByteBufferFillsIt() {
        NativeBuffer buffer = ARENA.allocateBuffer(8).put(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}).flip();
        ByteBuffer heap = ByteBuffer.allocate(3);
        ByteBuffer direct = ByteBuffer.allocateDirect(3);
        buffer.get(heap).get(direct);
        assertEquals(6, buffer.position());
        assertArrayEquals(new byte[] {1, 2, 3}, heap.array());
        assertEquals(6, direct.get(2));
        assertThrows(BufferUnderflowException.class, () -> buffer.get(ByteBuffer.allocate(3)));
        assertThrows(ReadOnlyBufferException.class, () -> buffer.get(ByteBuffer.allocate(1).asReadOnlyBuffer()));
        assertEquals(6, buffer.position());
    }

    @Test
    void putOfABufferThatSharesTheMemoryCopiesAsIfThroughATemporary() {
        NativeBuffer buffer = ARENA.allocateBuffer(8).put(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        NativeBuffer source = buffer.duplicate().position(0).limit(6);
        buffer.position(2).put(source);
        byte[] all = new byte[8];
        buffer.get(0, all);
        assertArrayEquals(new byte[] {1, 2, 1, 2, 3, 4, 5, 6}, all);
        assertThrows(BufferOverflowException.class, () -> buffer.position(7).put(source.position(0)));
    }
}
