package io.nativemem;

import io.nativemem.internal.Errors;
import io.nativemem.internal.NativeBlocks;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.InvalidMarkException;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;

/**
 * A cursor over one block of native memory, with {@link ByteBuffer}'s vocabulary and {@code long}
 * indices: the capacity may exceed 2 GiB.
 *
 * <h2>The contract every method shares</h2>
 * <ul>
 *   <li>The cursor keeps {@code 0 <= mark <= position <= limit <= capacity} as
 *       {@link java.nio.Buffer} does, and the same exceptions: a relative read past the limit
 *       throws {@link BufferUnderflowException}, a relative write {@link BufferOverflowException},
 *       an absolute access outside {@code [0, limit)} {@link IndexOutOfBoundsException} (naming
 *       the index, the length and the limit), a write to a read-only buffer
 *       {@link ReadOnlyBufferException}. A method that throws leaves the cursor where it was.</li>
 *   <li>Once the memory is freed (the buffer {@linkplain #close() closed}, its arena closed, or
 *       the mapping unmapped), every access through this buffer or any view of it throws
 *       {@link IllegalStateException}, saying what freed it: it never touches freed memory.</li>
 *   <li>A buffer from a {@linkplain NativeArena#ofConfined() confined arena} may be used by its
 *       owner thread only; from any other thread every access throws
 *       {@link WrongThreadException} naming both threads.</li>
 *   <li>Multi-byte values use {@link #order()}, {@link ByteOrder#BIG_ENDIAN} unless changed, and
 *       need no alignment.</li>
 * </ul>
 * These exceptions are not repeated on each method below.
 *
 * <p>A buffer comes from {@link #allocateDirect(long)} (GC-managed, like
 * {@code ByteBuffer.allocateDirect}, or freed at once by {@link #close()}) or from a
 * {@link NativeArena} (freed when the arena closes). Views ({@link #slice()}, {@link #duplicate()},
 * {@link #asReadOnlyBuffer()}, {@link #segment()}, {@link #asByteBuffer()}) share the memory and
 * keep it alive. A buffer is not safe for concurrent use of its cursor by several threads.
 *
 * @apiNote Every accessor costs what the same access through a {@code DirectByteBuffer} or a
 *     {@code MemorySegment} costs once JIT-compiled: each one is a bounds check that the compiler
 *     recognises (so it hoists it out of a loop), then one access to the segment with a constant
 *     layout per byte order. Unlike {@code ByteBuffer}, views keep the byte order of the buffer
 *     they come from.
 */
public sealed class NativeBuffer implements AutoCloseable, Comparable<NativeBuffer> permits MappedNativeBuffer {

    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfChar CHAR_BE = ValueLayout.JAVA_CHAR_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfChar CHAR_LE = CHAR_BE.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE = SHORT_BE.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = INT_BE.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = LONG_BE.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_BE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = FLOAT_BE.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE_BE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE_LE = DOUBLE_BE.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * How many bytes one channel call moves at most. A channel takes a {@code ByteBuffer}, which
     * holds at most 2 GiB - 1; 1 GiB also stays under what Linux moves in one read or write
     * (0x7ffff000 bytes), so a file channel fills each chunk whole and a transfer past 2 GiB
     * takes one call of {@link #read} or {@link #write}.
     */
    private static final int CHANNEL_CHUNK = 1 << 30;

    final MemorySegment segment;
    private final BlockOwner owner;
    private final long alignment;
    private final long capacity;
    private final boolean readOnly;
    private long position;
    private long limit;
    private long mark = -1;
    private boolean bigEndian = true;

    NativeBuffer(MemorySegment segment, BlockOwner owner, long alignment) {
        this.segment = segment;
        this.owner = owner;
        this.alignment = alignment;
        this.capacity = segment.byteSize();
        this.readOnly = segment.isReadOnly();
        this.limit = capacity;
    }

    /**
     * Allocates a zeroed GC-managed buffer with {@link NativeArena#DEFAULT_BUFFER_ALIGNMENT}: the
     * {@code ByteBuffer.allocateDirect} equivalent. Any thread may use it; its memory is freed by
     * the runtime's cleaner once it and every view of it are unreachable, or at once by
     * {@link #close()}.
     *
     * @param capacity the capacity in bytes, {@code >= 0}; may exceed 2 GiB
     * @return a buffer with position 0, limit {@code capacity}, big-endian
     * @throws IllegalArgumentException if {@code capacity < 0}
     * @throws OutOfMemoryError if the limit leaves no room even after the GC-assisted slow path,
     *     or libc has no memory
     */
    public static NativeBuffer allocateDirect(long capacity) {
        return allocateDirect(capacity, NativeArena.DEFAULT_BUFFER_ALIGNMENT);
    }

    /**
     * Allocates a zeroed GC-managed buffer whose address is a multiple of {@code alignment}.
     *
     * @param capacity the capacity in bytes, {@code >= 0}; may exceed 2 GiB
     * @param alignment a power of two
     * @return a buffer with position 0, limit {@code capacity}, big-endian
     * @throws IllegalArgumentException if {@code capacity < 0} or {@code alignment} is not a
     *     positive power of two
     * @throws OutOfMemoryError as {@link #allocateDirect(long)}
     */
    public static NativeBuffer allocateDirect(long capacity, long alignment) {
        NativeBlocks.validate(capacity, alignment);
        return DirectBlock.allocate(capacity, alignment);
    }

    // ---- lifecycle and identity ------------------------------------------------------------

    /**
     * Frees a GC-managed buffer now, and every view of it dies at once; does nothing for a buffer
     * that belongs to an arena (the arena frees it when it closes), so that any buffer can stand
     * in a try-with-resources. Idempotent.
     *
     * @apiNote closing a GC-managed buffer costs tens of microseconds, as closing a JDK shared
     *     arena does: the runtime must be sure that no other thread is in the middle of an access.
     * @throws IllegalStateException if a segment of this buffer is in use by a downcall right now
     */
    @Override
    public void close() {
        owner.closeBuffer();
    }

    /** {@return whether the memory is still allocated: {@code false} once it was freed} */
    public boolean isAlive() {
        return segment.scope().isAlive();
    }

    /** {@return the native address of this buffer's first byte (index 0, not the position)} */
    public long address() {
        return segment.address();
    }

    /**
     * {@return the alignment of {@link #address()}: the block's, or less for a view that starts
     * at an offset; a power of two}
     */
    public long alignment() {
        return alignment;
    }

    /** {@return whether writes are refused: for {@link #asReadOnlyBuffer()} and read-only mappings} */
    public boolean isReadOnly() {
        return readOnly;
    }

    // ---- cursor ----------------------------------------------------------------------------

    /** {@return the capacity in bytes} */
    public final long capacity() {
        return capacity;
    }

    /** {@return the position: the index of the next relative access} */
    public final long position() {
        return position;
    }

    /**
     * Sets the position; a mark beyond it is discarded.
     *
     * @param newPosition in {@code [0, limit]}
     * @return this buffer
     * @throws IllegalArgumentException if {@code newPosition} is outside {@code [0, limit]}
     */
    public final NativeBuffer position(long newPosition) {
        if (newPosition < 0 || newPosition > limit) {
            throw Errors.badCursor("position", newPosition, 0, limit);
        }
        if (mark > newPosition) {
            mark = -1;
        }
        position = newPosition;
        return this;
    }

    /** {@return the limit: the index of the first byte that accesses may not touch} */
    public final long limit() {
        return limit;
    }

    /**
     * Sets the limit; the position and the mark are pulled back under it.
     *
     * @param newLimit in {@code [0, capacity]}
     * @return this buffer
     * @throws IllegalArgumentException if {@code newLimit} is outside {@code [0, capacity]}
     */
    public final NativeBuffer limit(long newLimit) {
        if (newLimit < 0 || newLimit > capacity) {
            throw Errors.badCursor("limit", newLimit, 0, capacity);
        }
        if (position > newLimit) {
            position = newLimit;
        }
        if (mark > newLimit) {
            mark = -1;
        }
        limit = newLimit;
        return this;
    }

    /**
     * Marks the position.
     *
     * @return this buffer
     */
    public final NativeBuffer mark() {
        mark = position;
        return this;
    }

    /**
     * Moves the position back to the mark.
     *
     * @return this buffer
     * @throws InvalidMarkException if no mark is set
     */
    public final NativeBuffer reset() {
        if (mark < 0) {
            throw new InvalidMarkException();
        }
        position = mark;
        return this;
    }

    /**
     * Position 0, limit at the capacity, no mark. The bytes are not touched.
     *
     * @return this buffer
     */
    public final NativeBuffer clear() {
        position = 0;
        limit = capacity;
        mark = -1;
        return this;
    }

    /**
     * Limit at the position, position 0, no mark: ready to read what was written.
     *
     * @return this buffer
     */
    public final NativeBuffer flip() {
        limit = position;
        position = 0;
        mark = -1;
        return this;
    }

    /**
     * Position 0, no mark; the limit stays.
     *
     * @return this buffer
     */
    public final NativeBuffer rewind() {
        position = 0;
        mark = -1;
        return this;
    }

    /** {@return {@code limit - position}: the bytes left for relative accesses} */
    public final long remaining() {
        return limit - position;
    }

    /** {@return whether {@code position < limit}} */
    public final boolean hasRemaining() {
        return position < limit;
    }

    /** {@return the byte order of multi-byte accesses; {@link ByteOrder#BIG_ENDIAN} unless changed} */
    public final ByteOrder order() {
        return bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    }

    /**
     * Sets the byte order of multi-byte accesses.
     *
     * @param order the new order
     * @return this buffer
     * @throws NullPointerException if {@code order} is null
     */
    public final NativeBuffer order(ByteOrder order) {
        bigEndian = Objects.requireNonNull(order, "order") == ByteOrder.BIG_ENDIAN;
        return this;
    }

    // ---- the checks: every access goes through one of these ---------------------------------
    //
    // The bounds checks are Objects.checkIndex, which C2 turns into a range check it can hoist
    // out of a loop; a hand-written `index < 0 || size > limit - index` is an ordinary branch
    // that stays in the loop and keeps it from being unrolled or vectorised (that was 5-18x
    // slower than DirectByteBuffer in the first generation). The catch blocks cost nothing until
    // they run: they only rewrite the message.

    /** Checks {@code [index, index + size)} against the limit; returns {@code index}. */
    private long checkIndex(long index, int size) {
        try {
            return Objects.checkIndex(index, limit - (size - 1));
        } catch (IndexOutOfBoundsException e) {
            throw Errors.outOfBounds("Index", index, size, limit);
        }
    }

    /** The position, advanced by the caller, for a relative read of {@code size} bytes. */
    private long nextGetIndex(int size) {
        long p = position;
        if (limit - p < size) {
            throw new BufferUnderflowException();
        }
        return p;
    }

    /** The position, advanced by the caller, for a relative write of {@code size} bytes. */
    private long nextPutIndex(int size) {
        checkWritable();
        long p = position;
        if (limit - p < size) {
            throw new BufferOverflowException();
        }
        return p;
    }

    private void checkWritable() {
        if (readOnly) {
            throw new ReadOnlyBufferException();
        }
    }

    /** Explains an access the segment's scope refused: which memory was freed, which threads. */
    private RuntimeException refused(RuntimeException e) {
        return owner.accessRefused(e);
    }

    // ---- raw accesses at a checked index, in this buffer's byte order -----------------------

    private byte byteAt(long i) {
        try {
            return segment.get(BYTE, i);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    private void byteAt(long i, byte v) {
        try {
            segment.set(BYTE, i, v);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    private short shortAt(long i) {
        try {
            return bigEndian ? segment.get(SHORT_BE, i) : segment.get(SHORT_LE, i);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    private void shortAt(long i, short v) {
        try {
            if (bigEndian) {
                segment.set(SHORT_BE, i, v);
            } else {
                segment.set(SHORT_LE, i, v);
            }
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    private char charAt(long i) {
        try {
            return bigEndian ? segment.get(CHAR_BE, i) : segment.get(CHAR_LE, i);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    private void charAt(long i, char v) {
        try {
            if (bigEndian) {
                segment.set(CHAR_BE, i, v);
            } else {
                segment.set(CHAR_LE, i, v);
            }
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    private int intAt(long i) {
        try {
            return bigEndian ? segment.get(INT_BE, i) : segment.get(INT_LE, i);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    private void intAt(long i, int v) {
        try {
            if (bigEndian) {
                segment.set(INT_BE, i, v);
            } else {
                segment.set(INT_LE, i, v);
            }
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    private long longAt(long i) {
        try {
            return bigEndian ? segment.get(LONG_BE, i) : segment.get(LONG_LE, i);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    private void longAt(long i, long v) {
        try {
            if (bigEndian) {
                segment.set(LONG_BE, i, v);
            } else {
                segment.set(LONG_LE, i, v);
            }
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    private float floatAt(long i) {
        try {
            return bigEndian ? segment.get(FLOAT_BE, i) : segment.get(FLOAT_LE, i);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    private void floatAt(long i, float v) {
        try {
            if (bigEndian) {
                segment.set(FLOAT_BE, i, v);
            } else {
                segment.set(FLOAT_LE, i, v);
            }
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    private double doubleAt(long i) {
        try {
            return bigEndian ? segment.get(DOUBLE_BE, i) : segment.get(DOUBLE_LE, i);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    private void doubleAt(long i, double v) {
        try {
            if (bigEndian) {
                segment.set(DOUBLE_BE, i, v);
            } else {
                segment.set(DOUBLE_LE, i, v);
            }
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    // ---- byte ------------------------------------------------------------------------------

    /** {@return the byte at the position, which then advances by 1} */
    public byte get() {
        long p = nextGetIndex(Byte.BYTES);
        byte v = byteAt(p);
        position = p + Byte.BYTES;
        return v;
    }

    /**
     * {@return the byte at {@code index}, in {@code [0, limit)}}
     *
     * @param index the index
     */
    public byte get(long index) {
        return byteAt(checkIndex(index, Byte.BYTES));
    }

    /**
     * Writes a byte at the position and advances it by 1.
     *
     * @param value the byte
     * @return this buffer
     */
    public NativeBuffer put(byte value) {
        long p = nextPutIndex(Byte.BYTES);
        byteAt(p, value);
        position = p + Byte.BYTES;
        return this;
    }

    /**
     * Writes a byte at {@code index}, in {@code [0, limit)}.
     *
     * @param index the index
     * @param value the byte
     * @return this buffer
     */
    public NativeBuffer put(long index, byte value) {
        checkWritable();
        byteAt(checkIndex(index, Byte.BYTES), value);
        return this;
    }

    // ---- short -----------------------------------------------------------------------------

    /** {@return the short at the position, which then advances by 2} */
    public short getShort() {
        long p = nextGetIndex(Short.BYTES);
        short v = shortAt(p);
        position = p + Short.BYTES;
        return v;
    }

    /**
     * {@return the short at {@code index}, with {@code index + 2 <= limit}}
     *
     * @param index the index
     */
    public short getShort(long index) {
        return shortAt(checkIndex(index, Short.BYTES));
    }

    /**
     * Writes a short at the position and advances it by 2.
     *
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putShort(short value) {
        long p = nextPutIndex(Short.BYTES);
        shortAt(p, value);
        position = p + Short.BYTES;
        return this;
    }

    /**
     * Writes a short at {@code index}, with {@code index + 2 <= limit}.
     *
     * @param index the index
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putShort(long index, short value) {
        checkWritable();
        shortAt(checkIndex(index, Short.BYTES), value);
        return this;
    }

    // ---- char ------------------------------------------------------------------------------

    /** {@return the char at the position, which then advances by 2} */
    public char getChar() {
        long p = nextGetIndex(Character.BYTES);
        char v = charAt(p);
        position = p + Character.BYTES;
        return v;
    }

    /**
     * {@return the char at {@code index}, with {@code index + 2 <= limit}}
     *
     * @param index the index
     */
    public char getChar(long index) {
        return charAt(checkIndex(index, Character.BYTES));
    }

    /**
     * Writes a char at the position and advances it by 2.
     *
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putChar(char value) {
        long p = nextPutIndex(Character.BYTES);
        charAt(p, value);
        position = p + Character.BYTES;
        return this;
    }

    /**
     * Writes a char at {@code index}, with {@code index + 2 <= limit}.
     *
     * @param index the index
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putChar(long index, char value) {
        checkWritable();
        charAt(checkIndex(index, Character.BYTES), value);
        return this;
    }

    // ---- int -------------------------------------------------------------------------------

    /** {@return the int at the position, which then advances by 4} */
    public int getInt() {
        long p = nextGetIndex(Integer.BYTES);
        int v = intAt(p);
        position = p + Integer.BYTES;
        return v;
    }

    /**
     * {@return the int at {@code index}, with {@code index + 4 <= limit}}
     *
     * @param index the index
     */
    public int getInt(long index) {
        return intAt(checkIndex(index, Integer.BYTES));
    }

    /**
     * Writes an int at the position and advances it by 4.
     *
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putInt(int value) {
        long p = nextPutIndex(Integer.BYTES);
        intAt(p, value);
        position = p + Integer.BYTES;
        return this;
    }

    /**
     * Writes an int at {@code index}, with {@code index + 4 <= limit}.
     *
     * @param index the index
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putInt(long index, int value) {
        checkWritable();
        intAt(checkIndex(index, Integer.BYTES), value);
        return this;
    }

    // ---- long ------------------------------------------------------------------------------

    /** {@return the long at the position, which then advances by 8} */
    public long getLong() {
        long p = nextGetIndex(Long.BYTES);
        long v = longAt(p);
        position = p + Long.BYTES;
        return v;
    }

    /**
     * {@return the long at {@code index}, with {@code index + 8 <= limit}}
     *
     * @param index the index
     */
    public long getLong(long index) {
        return longAt(checkIndex(index, Long.BYTES));
    }

    /**
     * Writes a long at the position and advances it by 8.
     *
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putLong(long value) {
        long p = nextPutIndex(Long.BYTES);
        longAt(p, value);
        position = p + Long.BYTES;
        return this;
    }

    /**
     * Writes a long at {@code index}, with {@code index + 8 <= limit}.
     *
     * @param index the index
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putLong(long index, long value) {
        checkWritable();
        longAt(checkIndex(index, Long.BYTES), value);
        return this;
    }

    // ---- float -----------------------------------------------------------------------------

    /** {@return the float at the position, which then advances by 4} */
    public float getFloat() {
        long p = nextGetIndex(Float.BYTES);
        float v = floatAt(p);
        position = p + Float.BYTES;
        return v;
    }

    /**
     * {@return the float at {@code index}, with {@code index + 4 <= limit}}
     *
     * @param index the index
     */
    public float getFloat(long index) {
        return floatAt(checkIndex(index, Float.BYTES));
    }

    /**
     * Writes a float at the position and advances it by 4.
     *
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putFloat(float value) {
        long p = nextPutIndex(Float.BYTES);
        floatAt(p, value);
        position = p + Float.BYTES;
        return this;
    }

    /**
     * Writes a float at {@code index}, with {@code index + 4 <= limit}.
     *
     * @param index the index
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putFloat(long index, float value) {
        checkWritable();
        floatAt(checkIndex(index, Float.BYTES), value);
        return this;
    }

    // ---- double ----------------------------------------------------------------------------

    /** {@return the double at the position, which then advances by 8} */
    public double getDouble() {
        long p = nextGetIndex(Double.BYTES);
        double v = doubleAt(p);
        position = p + Double.BYTES;
        return v;
    }

    /**
     * {@return the double at {@code index}, with {@code index + 8 <= limit}}
     *
     * @param index the index
     */
    public double getDouble(long index) {
        return doubleAt(checkIndex(index, Double.BYTES));
    }

    /**
     * Writes a double at the position and advances it by 8.
     *
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putDouble(double value) {
        long p = nextPutIndex(Double.BYTES);
        doubleAt(p, value);
        position = p + Double.BYTES;
        return this;
    }

    /**
     * Writes a double at {@code index}, with {@code index + 8 <= limit}.
     *
     * @param index the index
     * @param value the value
     * @return this buffer
     */
    public NativeBuffer putDouble(long index, double value) {
        checkWritable();
        doubleAt(checkIndex(index, Double.BYTES), value);
        return this;
    }

    // ---- bulk ------------------------------------------------------------------------------

    /**
     * Copies {@code dst.length} bytes from the position into {@code dst} and advances the position.
     *
     * @param dst the destination
     * @return this buffer
     * @throws BufferUnderflowException if fewer than {@code dst.length} bytes remain
     */
    public NativeBuffer get(byte[] dst) {
        return get(dst, 0, dst.length);
    }

    /**
     * Copies {@code length} bytes from the position into {@code dst[offset, offset + length)} and
     * advances the position.
     *
     * @param dst the destination
     * @param offset the first index written in {@code dst}
     * @param length how many bytes
     * @return this buffer
     * @throws IndexOutOfBoundsException if {@code offset} and {@code length} do not fit {@code dst}
     * @throws BufferUnderflowException if fewer than {@code length} bytes remain
     */
    public NativeBuffer get(byte[] dst, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, dst.length);
        long p = nextGetIndex(length);
        copyOut(p, dst, offset, length);
        position = p + length;
        return this;
    }

    /**
     * Copies {@code dst.length} bytes from {@code index} into {@code dst}; the position does not move.
     *
     * @param index the first index read, with {@code index + dst.length <= limit}
     * @param dst the destination
     * @return this buffer
     * @throws IndexOutOfBoundsException if the bytes do not lie within {@code [0, limit)}
     */
    public NativeBuffer get(long index, byte[] dst) {
        return get(index, dst, 0, dst.length);
    }

    /**
     * Copies {@code length} bytes from {@code index} into {@code dst[offset, offset + length)}; the
     * position does not move.
     *
     * @param index the first index read, with {@code index + length <= limit}
     * @param dst the destination
     * @param offset the first index written in {@code dst}
     * @param length how many bytes
     * @return this buffer
     * @throws IndexOutOfBoundsException if the bytes do not lie within {@code [0, limit)}, or
     *     {@code offset} and {@code length} do not fit {@code dst}
     */
    public NativeBuffer get(long index, byte[] dst, int offset, int length) {
        checkRange(index, length);
        Objects.checkFromIndexSize(offset, length, dst.length);
        copyOut(index, dst, offset, length);
        return this;
    }

    /**
     * Copies bytes from the position into {@code dst} until {@code dst} is full, advancing both
     * positions.
     *
     * @param dst the destination, heap or direct
     * @return this buffer
     * @throws BufferUnderflowException if fewer than {@code dst.remaining()} bytes remain
     * @throws ReadOnlyBufferException if {@code dst} is read-only
     */
    public NativeBuffer get(ByteBuffer dst) {
        if (dst.isReadOnly()) {
            throw new ReadOnlyBufferException();
        }
        int n = dst.remaining();
        long p = nextGetIndex(n);
        try {
            MemorySegment.copy(segment, p, MemorySegment.ofBuffer(dst), 0, n);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
        dst.position(dst.position() + n);
        position = p + n;
        return this;
    }

    /**
     * Copies all of {@code src} to the position and advances it.
     *
     * @param src the source
     * @return this buffer
     * @throws BufferOverflowException if fewer than {@code src.length} bytes remain
     */
    public NativeBuffer put(byte[] src) {
        return put(src, 0, src.length);
    }

    /**
     * Copies {@code src[offset, offset + length)} to the position and advances it.
     *
     * @param src the source
     * @param offset the first index read in {@code src}
     * @param length how many bytes
     * @return this buffer
     * @throws IndexOutOfBoundsException if {@code offset} and {@code length} do not fit {@code src}
     * @throws BufferOverflowException if fewer than {@code length} bytes remain
     */
    public NativeBuffer put(byte[] src, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, src.length);
        long p = nextPutIndex(length);
        copyIn(src, offset, p, length);
        position = p + length;
        return this;
    }

    /**
     * Copies all of {@code src} to {@code index}; the position does not move.
     *
     * @param index the first index written, with {@code index + src.length <= limit}
     * @param src the source
     * @return this buffer
     * @throws IndexOutOfBoundsException if the bytes do not lie within {@code [0, limit)}
     */
    public NativeBuffer put(long index, byte[] src) {
        return put(index, src, 0, src.length);
    }

    /**
     * Copies {@code src[offset, offset + length)} to {@code index}; the position does not move.
     *
     * @param index the first index written, with {@code index + length <= limit}
     * @param src the source
     * @param offset the first index read in {@code src}
     * @param length how many bytes
     * @return this buffer
     * @throws IndexOutOfBoundsException if the bytes do not lie within {@code [0, limit)}, or
     *     {@code offset} and {@code length} do not fit {@code src}
     */
    public NativeBuffer put(long index, byte[] src, int offset, int length) {
        checkWritable();
        checkRange(index, length);
        Objects.checkFromIndexSize(offset, length, src.length);
        copyIn(src, offset, index, length);
        return this;
    }

    /**
     * Copies the remaining bytes of {@code src} to the position; advances both positions. The two
     * buffers may share memory (the copy then behaves as if it went through a temporary buffer).
     *
     * @param src the source; not this buffer
     * @return this buffer
     * @throws IllegalArgumentException if {@code src} is this buffer
     * @throws BufferOverflowException if {@code src} has more bytes remaining than this buffer
     */
    public NativeBuffer put(NativeBuffer src) {
        if (src == this) {
            throw new IllegalArgumentException("The source buffer is this buffer");
        }
        long n = src.remaining();
        long p = nextPutIndex(0);
        if (n > limit - p) {
            throw new BufferOverflowException();
        }
        try {
            MemorySegment.copy(src.segment, src.position, segment, p, n);
        } catch (IllegalStateException | WrongThreadException e) {
            throw (src.segment.scope().isAlive() ? this : src).refused(e);
        }
        src.position += n;
        position = p + n;
        return this;
    }

    /**
     * Copies the remaining bytes of {@code src} (heap or direct) to the position; advances both
     * positions.
     *
     * @param src the source
     * @return this buffer
     * @throws BufferOverflowException if {@code src} has more bytes remaining than this buffer
     */
    public NativeBuffer put(ByteBuffer src) {
        int n = src.remaining();
        long p = nextPutIndex(0);
        if (n > limit - p) {
            throw new BufferOverflowException();
        }
        try {
            MemorySegment.copy(MemorySegment.ofBuffer(src), 0, segment, p, n);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
        src.position(src.position() + n);
        position = p + n;
        return this;
    }

    private void checkRange(long index, int length) {
        if (index < 0 || length < 0 || length > limit - index) {
            throw Errors.outOfBounds("Index", index, length, limit);
        }
    }

    private void copyOut(long from, byte[] dst, int offset, int length) {
        try {
            MemorySegment.copy(segment, BYTE, from, dst, offset, length);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    private void copyIn(byte[] src, int offset, long to, int length) {
        try {
            MemorySegment.copy(src, offset, segment, BYTE, to, length);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    /**
     * Moves the bytes between the position and the limit to the start of the buffer, then sets the
     * position after them and the limit at the capacity, discarding the mark: ready to append
     * after a partial {@link #write}, as {@link ByteBuffer#compact()}.
     *
     * @return this buffer
     * @throws ReadOnlyBufferException if this buffer is read-only
     */
    public NativeBuffer compact() {
        checkWritable();
        long n = limit - position;
        try {
            MemorySegment.copy(segment, position, segment, 0, n);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
        position = n;
        limit = capacity;
        mark = -1;
        return this;
    }

    // ---- channels --------------------------------------------------------------------------

    /**
     * Reads from {@code channel} into the bytes between the position and the limit, and advances
     * the position by the count read, as {@link ReadableByteChannel#read(ByteBuffer)} does for a
     * {@code ByteBuffer}: one call may read fewer bytes than remain, so a fill loop reads
     * {@code while (buffer.hasRemaining() && buffer.read(channel) >= 0)}. Past 2 GiB the bytes are
     * read in chunks of 1 GiB, going on to the next chunk only while the channel fills each one.
     *
     * @param channel the channel
     * @return the bytes read, possibly 0, or -1 if the channel was at the end of its stream before
     *     any byte was read
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IOException as the channel's {@code read} throws it; the position then counts the
     *     bytes of the chunks read before the failure
     */
    public long read(ReadableByteChannel channel) throws IOException {
        Objects.requireNonNull(channel, "channel");
        checkWritable();
        long total = 0;
        while (position < limit) {
            int chunk = (int) Math.min(limit - position, CHANNEL_CHUNK);
            int n = channel.read(channelView(position, chunk));
            if (n < 0) {
                return total == 0 ? -1 : total;
            }
            position += n;
            total += n;
            if (n < chunk) {
                break;
            }
        }
        return total;
    }

    /**
     * Writes the bytes between the position and the limit to {@code channel}, and advances the
     * position by the count written, as {@link WritableByteChannel#write(ByteBuffer)} does for a
     * {@code ByteBuffer} (a non-blocking channel may take fewer). Past 2 GiB the bytes are written
     * in chunks of 1 GiB, going on to the next chunk only while the channel takes each one whole.
     *
     * @param channel the channel
     * @return the bytes written, possibly 0
     * @throws IOException as the channel's {@code write} throws it
     */
    public long write(WritableByteChannel channel) throws IOException {
        Objects.requireNonNull(channel, "channel");
        long total = 0;
        while (position < limit) {
            int chunk = (int) Math.min(limit - position, CHANNEL_CHUNK);
            int n = channel.write(channelView(position, chunk));
            position += n;
            total += n;
            if (n < chunk) {
                break;
            }
        }
        return total;
    }

    private ByteBuffer channelView(long index, int length) {
        try {
            return segment.asSlice(index, length).asByteBuffer();
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
    }

    // ---- comparison, over the remaining bytes as ByteBuffer does it ------------------------

    /**
     * The relative index of the first byte, from each position, where this buffer and
     * {@code other} differ, as {@link ByteBuffer#mismatch(ByteBuffer)}.
     *
     * @param other the buffer to compare with
     * @return -1 if the remaining bytes are equal; else the first differing relative index, or the
     *     smaller remaining count when one is a prefix of the other
     */
    public long mismatch(NativeBuffer other) {
        try {
            return MemorySegment.mismatch(segment, position, limit, other.segment, other.position, other.limit);
        } catch (IllegalStateException | WrongThreadException e) {
            throw (other.segment.scope().isAlive() ? this : other).refused(e);
        }
    }

    /**
     * Whether {@code other} is a {@code NativeBuffer} with the same remaining bytes, as
     * {@link ByteBuffer#equals(Object)}: capacity, byte order and the bytes outside
     * {@code [position, limit)} do not matter.
     *
     * @param other the object to compare with
     * @return whether the remaining bytes are equal
     */
    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        return other instanceof NativeBuffer that && remaining() == that.remaining() && mismatch(that) < 0;
    }

    /**
     * The hash of the remaining bytes, computed as {@link ByteBuffer#hashCode()} does, so a
     * {@code NativeBuffer} and a {@code ByteBuffer} with the same remaining bytes hash alike. It
     * reads every remaining byte and changes with them: a buffer whose bytes may change is a poor
     * key for a hash map.
     *
     * @return the hash
     */
    @Override
    public int hashCode() {
        int h = 1;
        try {
            for (long i = limit - 1; i >= position; i--) {
                h = 31 * h + segment.get(BYTE, i);
            }
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e);
        }
        return h;
    }

    /**
     * Compares the remaining bytes lexicographically, each as a signed {@code byte}, then by the
     * remaining count, as {@link ByteBuffer#compareTo(ByteBuffer)}.
     *
     * @param other the buffer to compare with
     * @return negative, zero or positive as this buffer's remaining bytes are less than, equal to
     *     or greater than {@code other}'s
     */
    @Override
    public int compareTo(NativeBuffer other) {
        long i = mismatch(other);
        long thisRemaining = remaining();
        long thatRemaining = other.remaining();
        if (i >= 0 && i < Math.min(thisRemaining, thatRemaining)) {
            return Byte.compare(byteAt(position + i), other.byteAt(other.position + i));
        }
        return Math.clamp(thisRemaining - thatRemaining, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    // ---- views -----------------------------------------------------------------------------

    /**
     * A buffer over the bytes between the position and the limit, with its own cursor (position 0,
     * limit and capacity at the remaining count) and this buffer's byte order.
     *
     * @return the view
     */
    public NativeBuffer slice() {
        return slice(position, limit - position);
    }

    /**
     * A buffer over {@code [index, index + length)}, with its own cursor and this buffer's byte
     * order.
     *
     * @param index the first byte, in {@code [0, limit]}
     * @param length the view's capacity, with {@code index + length <= limit}
     * @return the view
     * @throws IndexOutOfBoundsException if the range does not lie within {@code [0, limit]}
     */
    public NativeBuffer slice(long index, long length) {
        if (index < 0 || length < 0 || length > limit - index) {
            throw Errors.outOfBounds("Slice", index, length, limit);
        }
        NativeBuffer view = new NativeBuffer(segment.asSlice(index, length), owner,
                index == 0 ? alignment : Math.min(alignment, Long.lowestOneBit(index)));
        view.bigEndian = bigEndian;
        return view;
    }

    /**
     * A buffer over the same bytes with a cursor of its own, starting as a copy of this one.
     *
     * @return the view
     */
    public NativeBuffer duplicate() {
        return copyCursorTo(new NativeBuffer(segment, owner, alignment));
    }

    /**
     * A read-only buffer over the same bytes, with a cursor of its own starting as a copy of this
     * one.
     *
     * @return the view
     */
    public NativeBuffer asReadOnlyBuffer() {
        return copyCursorTo(new NativeBuffer(segment.asReadOnly(), owner, alignment));
    }

    NativeBuffer copyCursorTo(NativeBuffer view) {
        view.position = position;
        view.limit = limit;
        view.mark = mark;
        view.bigEndian = bigEndian;
        return view;
    }

    /**
     * The memory of this buffer, all of its capacity, as a segment. The segment dies when the
     * buffer's memory is freed; it is read-only if this buffer is.
     *
     * @return the segment
     */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * A direct {@link ByteBuffer} over the bytes between the position and the limit. It shares the
     * memory and dies with it, and has this buffer's byte order; its cursor is its own, so for
     * channels prefer {@link #read} and {@link #write}, which move this buffer's position.
     *
     * @return the view
     * @throws UnsupportedOperationException if more than {@code Integer.MAX_VALUE} bytes remain
     */
    public ByteBuffer asByteBuffer() {
        long n = remaining();
        if (n > Integer.MAX_VALUE) {
            throw new UnsupportedOperationException("Cannot view " + n + " bytes as a ByteBuffer (at most "
                    + Integer.MAX_VALUE + "): slice this buffer first");
        }
        return channelView(position, (int) n).order(order());
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[pos=" + position + " lim=" + limit + " cap=" + capacity
                + " address=0x" + Long.toHexString(address()) + (isAlive() ? "" : " freed")
                + (isReadOnly() ? " read-only" : "") + "]";
    }
}
