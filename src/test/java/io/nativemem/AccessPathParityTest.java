package io.nativemem;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A buffer takes one of two paths: under 2 GiB its accesses are those of a DirectByteBuffer view
 * of the block, past 2 GiB they go to the segment with a cursor of its own. Both must behave
 * exactly as a {@code ByteBuffer}: random sequences of every accessor, cursor move and bulk
 * transfer, with bad indices and both byte orders, run on a direct ByteBuffer, a viewed
 * NativeBuffer and one forced onto the large-buffer path, and every result, exception type,
 * cursor and byte must agree after every step.
 */
class AccessPathParityTest {

    private static final int CAPACITY = 48;
    private static final NativeArena ARENA = NativeArena.ofShared();

    @AfterAll
    static void close() {
        ARENA.close();
    }

    /** One operation, written for both APIs with the same random arguments. */
    private record Op(String name, Function<ByteBuffer, Object> onJdk, Function<NativeBuffer, Object> onOurs) {
    }

    @RepeatedTest(30)
    void everyPathAgreesWithByteBufferStepByStep(RepetitionInfo repetition) {
        Random random = new Random(1000L + repetition.getCurrentRepetition());
        ByteBuffer jdk = ByteBuffer.allocateDirect(CAPACITY);
        NativeBuffer viewed = ARENA.allocateBuffer(CAPACITY);
        NativeBuffer large = ARENA.allocateBuffer(CAPACITY).withoutView();
        List<String> trace = new ArrayList<>();
        for (int step = 0; step < 3000; step++) {
            Op op = randomOp(random);
            trace.add(op.name());
            Object expected = outcome(() -> op.onJdk().apply(jdk));
            String context = "step " + step + ": " + String.join(", ", trace.subList(Math.max(0, trace.size() - 8), trace.size()));
            for (NativeBuffer ours : List.of(viewed, large)) {
                Object actual = outcome(() -> op.onOurs().apply(ours));
                assertEquals(expected, actual, (ours == large ? "large path, " : "viewed path, ") + context);
                assertEquals(jdk.position(), ours.position(), context);
                assertEquals(jdk.limit(), ours.limit(), context);
                assertEquals(jdk.order(), ours.order(), context);
                byte[] mine = new byte[CAPACITY];
                ours.get(0, mine, 0, (int) ours.limit());
                byte[] theirs = new byte[CAPACITY];
                jdk.get(0, theirs, 0, jdk.limit());
                assertArrayEquals(theirs, mine, context);
            }
        }
    }

    private interface Action {
        Object run();
    }

    /** The value returned (a buffer counts as "this"), or the exception's class. */
    private static Object outcome(Action action) {
        try {
            Object value = action.run();
            if (value instanceof ByteBuffer || value instanceof NativeBuffer) {
                return "this";
            }
            if (value instanceof Float f) {
                return "float " + Float.floatToIntBits(f);
            }
            if (value instanceof Double d) {
                return "double " + Double.doubleToLongBits(d);
            }
            if (value instanceof byte[] bytes) {
                return Arrays.toString(bytes);
            }
            return value;
        } catch (RuntimeException e) {
            return e.getClass();
        }
    }

    private static Op randomOp(Random random) {
        int index = random.nextInt(CAPACITY + 6) - 3;
        long bits = random.nextLong();
        int length = random.nextInt(12);
        byte[] source = new byte[length];
        random.nextBytes(source);
        return switch (random.nextInt(40)) {
            case 0 -> {
                ByteOrder order = random.nextBoolean() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
                yield new Op("order " + order, b -> b.order(order), b -> b.order(order));
            }
            case 1 -> new Op("position " + index, b -> b.position(index), b -> b.position(index));
            case 2 -> new Op("limit " + index, b -> b.limit(index), b -> b.limit(index));
            case 3 -> new Op("mark", ByteBuffer::mark, NativeBuffer::mark);
            case 4 -> new Op("reset", ByteBuffer::reset, NativeBuffer::reset);
            case 5 -> new Op("clear", ByteBuffer::clear, NativeBuffer::clear);
            case 6 -> new Op("flip", ByteBuffer::flip, NativeBuffer::flip);
            case 7 -> new Op("rewind", ByteBuffer::rewind, NativeBuffer::rewind);
            case 8 -> new Op("compact", ByteBuffer::compact, NativeBuffer::compact);
            case 9 -> new Op("remaining", b -> (long) b.remaining(), NativeBuffer::remaining);
            case 10 -> new Op("get()", ByteBuffer::get, NativeBuffer::get);
            case 11 -> new Op("get(" + index + ")", b -> b.get(index), b -> b.get(index));
            case 12 -> new Op("put(b)", b -> b.put((byte) bits), b -> b.put((byte) bits));
            case 13 -> new Op("put(" + index + ", b)", b -> b.put(index, (byte) bits), b -> b.put(index, (byte) bits));
            case 14 -> new Op("getShort()", ByteBuffer::getShort, NativeBuffer::getShort);
            case 15 -> new Op("getShort(" + index + ")", b -> b.getShort(index), b -> b.getShort(index));
            case 16 -> new Op("putShort(s)", b -> b.putShort((short) bits), b -> b.putShort((short) bits));
            case 17 -> new Op("putShort(" + index + ", s)", b -> b.putShort(index, (short) bits), b -> b.putShort(index, (short) bits));
            case 18 -> new Op("getChar()", ByteBuffer::getChar, NativeBuffer::getChar);
            case 19 -> new Op("getChar(" + index + ")", b -> b.getChar(index), b -> b.getChar(index));
            case 20 -> new Op("putChar(c)", b -> b.putChar((char) bits), b -> b.putChar((char) bits));
            case 21 -> new Op("putChar(" + index + ", c)", b -> b.putChar(index, (char) bits), b -> b.putChar(index, (char) bits));
            case 22 -> new Op("getInt()", ByteBuffer::getInt, NativeBuffer::getInt);
            case 23 -> new Op("getInt(" + index + ")", b -> b.getInt(index), b -> b.getInt(index));
            case 24 -> new Op("putInt(i)", b -> b.putInt((int) bits), b -> b.putInt((int) bits));
            case 25 -> new Op("putInt(" + index + ", i)", b -> b.putInt(index, (int) bits), b -> b.putInt(index, (int) bits));
            case 26 -> new Op("getLong()", ByteBuffer::getLong, NativeBuffer::getLong);
            case 27 -> new Op("getLong(" + index + ")", b -> b.getLong(index), b -> b.getLong(index));
            case 28 -> new Op("putLong(l)", b -> b.putLong(bits), b -> b.putLong(bits));
            case 29 -> new Op("putLong(" + index + ", l)", b -> b.putLong(index, bits), b -> b.putLong(index, bits));
            case 30 -> new Op("getFloat()", ByteBuffer::getFloat, NativeBuffer::getFloat);
            case 31 -> new Op("putFloat(" + index + ", f)", b -> b.putFloat(index, Float.intBitsToFloat((int) bits)),
                    b -> b.putFloat(index, Float.intBitsToFloat((int) bits)));
            case 32 -> new Op("getDouble(" + index + ")", b -> b.getDouble(index), b -> b.getDouble(index));
            case 33 -> new Op("putDouble(d)", b -> b.putDouble(Double.longBitsToDouble(bits)),
                    b -> b.putDouble(Double.longBitsToDouble(bits)));
            case 34 -> new Op("get(byte[" + length + "])", b -> {
                byte[] dst = new byte[length];
                b.get(dst);
                return dst;
            }, b -> {
                byte[] dst = new byte[length];
                b.get(dst);
                return dst;
            });
            case 35 -> new Op("put(byte[" + length + "])", b -> b.put(source), b -> b.put(source));
            case 36 -> new Op("get(" + index + ", byte[" + length + "])", b -> {
                byte[] dst = new byte[length];
                b.get(index, dst);
                return dst;
            }, b -> {
                byte[] dst = new byte[length];
                b.get(index, dst);
                return dst;
            });
            case 37 -> new Op("put(" + index + ", byte[" + length + "])", b -> b.put(index, source), b -> b.put(index, source));
            case 38 -> new Op("put(ByteBuffer[" + length + "])", b -> b.put(ByteBuffer.wrap(source)),
                    b -> b.put(ByteBuffer.wrap(source)));
            default -> new Op("hasRemaining", ByteBuffer::hasRemaining, NativeBuffer::hasRemaining);
        };
    }
}
