package io.nativemem;

import io.nativemem.internal.Errors;
import io.nativemem.internal.NativeBlocks;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.InvalidMarkException;
import java.nio.ReadOnlyBufferException;
import java.util.Objects;

/**
 * A cursor over one block of native memory, with {@link ByteBuffer}'s vocabulary and {@code long}
 * indices: the capacity may exceed 2 GiB.
 *
 * <p>The cursor keeps {@code 0 <= mark <= position <= limit <= capacity} exactly as
 * {@link java.nio.Buffer} does, and throws the same exceptions: relative reads past the limit
 * throw {@link BufferUnderflowException}, relative writes {@link BufferOverflowException},
 * absolute accesses outside {@code [0, limit)} {@link IndexOutOfBoundsException}, writes to a
 * read-only buffer {@link ReadOnlyBufferException}. Once the memory is freed, every access through
 * this buffer or any view of it throws {@link IllegalStateException}: it never touches freed memory.
 *
 * <p>A buffer comes from {@link #allocateDirect(long)} (GC-managed, like
 * {@code ByteBuffer.allocateDirect}, or freed at once by {@link #close()}) or from a
 * {@link NativeArena} (freed when the arena closes). Views ({@link #slice()}, {@link #duplicate()},
 * {@link #asReadOnlyBuffer()}, {@link #segment()}, {@link #asByteBuffer()}) share the memory and
 * keep it alive. A buffer is not safe for concurrent use of its cursor by several threads.
 *
 * @apiNote unlike {@code ByteBuffer}, views keep the byte order of the buffer they come from.
 */
public sealed class NativeBuffer implements AutoCloseable permits MappedNativeBuffer {

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

    final MemorySegment segment;
    private final DirectBlock owner;
    private final long alignment;
    private final long capacity;
    private long position;
    private long limit;
    private long mark = -1;
    private boolean bigEndian = true;

    NativeBuffer(MemorySegment segment, DirectBlock owner, long alignment) {
        this.segment = segment;
        this.owner = owner;
        this.alignment = alignment;
        this.capacity = segment.byteSize();
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
     * Frees a GC-managed buffer now; every view of it dies at once. Idempotent.
     *
     * @apiNote closing costs tens of microseconds, as closing a JDK shared arena does: the
     *     runtime must be sure that no other thread is in the middle of an access.
     * @throws UnsupportedOperationException if the buffer belongs to an arena (close the arena)
     * @throws IllegalStateException if a segment of this buffer is in use by a downcall right now
     */
    @Override
    public void close() {
        if (owner == null) {
            throw Errors.notOwner();
        }
        owner.close();
    }

    /**
     * Whether the memory is still allocated.
     *
     * @return {@code false} once the buffer, its arena or its owner was closed or freed
     */
    public boolean isAlive() {
        return segment.scope().isAlive();
    }

    /**
     * The address of this buffer's first byte (index 0, not the position).
     *
     * @return the native address
     */
    public long address() {
        return segment.address();
    }

    /**
     * The alignment of {@link #address()}: the block's alignment, or less for a view that starts
     * at an offset.
     *
     * @return a power of two that divides the address
     */
    public long alignment() {
        return alignment;
    }

    /**
     * Whether writes are refused.
     *
     * @return {@code true} for buffers from {@link #asReadOnlyBuffer()} and read-only mappings
     */
    public boolean isReadOnly() {
        return segment.isReadOnly();
    }

    // ---- cursor ----------------------------------------------------------------------------

    /**
     * The capacity in bytes.
     *
     * @return the capacity
     */
    public final long capacity() {
        return capacity;
    }

    /**
     * The position.
     *
     * @return the index of the next relative access
     */
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

    /**
     * The limit.
     *
     * @return the index of the first byte that relative accesses may not touch
     */
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

    /**
     * The bytes between the position and the limit.
     *
     * @return {@code limit - position}
     */
    public final long remaining() {
        return limit - position;
    }

    /**
     * Whether any byte is left between the position and the limit.
     *
     * @return {@code position < limit}
     */
    public final boolean hasRemaining() {
        return position < limit;
    }

    /**
     * The byte order of multi-byte accesses.
     *
     * @return {@link ByteOrder#BIG_ENDIAN} unless changed
     */
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

    // ---- index arithmetic: the one place that checks bounds --------------------------------

    private long getIndex(int size) {
        long p = position;
        if (limit - p < size) {
            throw new BufferUnderflowException();
        }
        return p;
    }

    private long putIndex(int size) {
        checkWritable();
        long p = position;
        if (limit - p < size) {
            throw new BufferOverflowException();
        }
        return p;
    }

    private long checkIndex(long index, int size) {
        if (index < 0 || size > limit - index) {
            throw Errors.outOfBounds("Index", index, size, limit);
        }
        return index;
    }

    private void checkWritable() {
        if (segment.isReadOnly()) {
            throw new ReadOnlyBufferException();
        }
    }

    // ---- byte ------------------------------------------------------------------------------

    /**
     * Reads the byte at the position and advances it.
     *
     * @return the byte
     * @throws BufferUnderflowException if no byte remains
     * @throws IllegalStateException if the memory was freed
     */
    public byte get() {
        long p = getIndex(1);
        byte v = segment.get(ValueLayout.JAVA_BYTE, p);
        position = p + 1;
        return v;
    }

    /**
     * Reads the byte at {@code index}.
     *
     * @param index in {@code [0, limit)}
     * @return the byte
     * @throws IndexOutOfBoundsException if {@code index} is outside {@code [0, limit)}
     * @throws IllegalStateException if the memory was freed
     */
    public byte get(long index) {
        return segment.get(ValueLayout.JAVA_BYTE, checkIndex(index, 1));
    }

    /**
     * Writes a byte at the position and advances it.
     *
     * @param value the byte
     * @return this buffer
     * @throws BufferOverflowException if no byte remains
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if the memory was freed
     */
    public NativeBuffer put(byte value) {
        long p = putIndex(1);
        segment.set(ValueLayout.JAVA_BYTE, p, value);
        position = p + 1;
        return this;
    }

    /**
     * Writes a byte at {@code index}.
     *
     * @param index in {@code [0, limit)}
     * @param value the byte
     * @return this buffer
     * @throws IndexOutOfBoundsException if {@code index} is outside {@code [0, limit)}
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if the memory was freed
     */
    public NativeBuffer put(long index, byte value) {
        checkWritable();
        segment.set(ValueLayout.JAVA_BYTE, checkIndex(index, 1), value);
        return this;
    }

    // ---- short -----------------------------------------------------------------------------

    /**
     * Reads a short at the position, in this buffer's byte order, and advances it by 2.
     *
     * @return the value
     * @throws BufferUnderflowException if fewer than 2 bytes remain
     * @throws IllegalStateException if the memory was freed
     */
    public short getShort() {
        long p = getIndex(Short.BYTES);
        short v = segment.get(bigEndian ? SHORT_BE : SHORT_LE, p);
        position = p + Short.BYTES;
        return v;
    }

    /**
     * Reads a short at {@code index}, in this buffer's byte order.
     *
     * @param index in {@code [0, limit - 2]}
     * @return the value
     * @throws IndexOutOfBoundsException if the 2 bytes are not all within {@code [0, limit)}
     * @throws IllegalStateException if the memory was freed
     */
    public short getShort(long index) {
        return segment.get(bigEndian ? SHORT_BE : SHORT_LE, checkIndex(index, Short.BYTES));
    }

    /**
     * Writes a short at the position, in this buffer's byte order, and advances it by 2.
     *
     * @param value the value
     * @return this buffer
     * @throws BufferOverflowException if fewer than 2 bytes remain
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if the memory was freed
     */
    public NativeBuffer putShort(short value) {
        long p = putIndex(Short.BYTES);
        segment.set(bigEndian ? SHORT_BE : SHORT_LE, p, value);
        position = p + Short.BYTES;
        return this;
    }

    /**
     * Writes a short at {@code index}, in this buffer's byte order.
     *
     * @param index in {@code [0, limit - 2]}
     * @param value the value
     * @return this buffer
     * @throws IndexOutOfBoundsException if the 2 bytes are not all within {@code [0, limit)}
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if the memory was freed
     */
    public NativeBuffer putShort(long index, short value) {
        checkWritable();
        segment.set(bigEndian ? SHORT_BE : SHORT_LE, checkIndex(index, Short.BYTES), value);
        return this;
    }

    // ---- char ------------------------------------------------------------------------------

    /**
     * Reads a char at the position, in this buffer's byte order, and advances it by 2.
     *
     * @return the value
     * @throws BufferUnderflowException if fewer than 2 bytes remain
     * @throws IllegalStateException if the memory was freed
     */
    public char getChar() {
        long p = getIndex(Character.BYTES);
        char v = segment.get(bigEndian ? CHAR_BE : CHAR_LE, p);
        position = p + Character.BYTES;
        return v;
    }

    /**
     * Reads a char at {@code index}, in this buffer's byte order.
     *
     * @param index in {@code [0, limit - 2]}
     * @return the value
     * @throws IndexOutOfBoundsException if the 2 bytes are not all within {@code [0, limit)}
     * @throws IllegalStateException if the memory was freed
     */
    public char getChar(long index) {
        return segment.get(bigEndian ? CHAR_BE : CHAR_LE, checkIndex(index, Character.BYTES));
    }

    /**
     * Writes a char at the position, in this buffer's byte order, and advances it by 2.
     *
     * @param value the value
     * @return this buffer
     * @throws BufferOverflowException if fewer than 2 bytes remain
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if the memory was freed
     */
    public NativeBuffer putChar(char value) {
        long p = putIndex(Character.BYTES);
        segment.set(bigEndian ? CHAR_BE : CHAR_LE, p, value);
        position = p + Character.BYTES;
        return this;
    }

    /**
     * Writes a char at {@code index}, in this buffer's byte order.
     *
     * @param index in {@code [0, limit - 2]}
     * @param value the value
     * @return this buffer
     * @throws IndexOutOfBoundsException if the 2 bytes are not all within {@code [0, limit)}
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if the memory was freed
     */
    public NativeBuffer putChar(long index, char value) {
        checkWritable();
        segment.set(bigEndian ? CHAR_BE : CHAR_LE, checkIndex(index, Character.BYTES), value);
        return this;
    }

    // ---- int -------------------------------------------------------------------------------

    /**
     * Reads an int at the position, in this buffer's byte order, and advances it by 4.
     *
     * @return the value
     * @throws BufferUnderflowException if fewer than 4 bytes remain
     * @throws IllegalStateException if the memory was freed
     */
    public int getInt() {
        long p = getIndex(Integer.BYTES);
        int v = segment.get(bigEndian ? INT_BE : INT_LE, p);
        position = p + Integer.BYTES;
        return v;
    }

    /**
     * Reads an int at {@code index}, in this buffer's byte order.
     *
     * @param index in {@code [0, limit - 4]}
     * @return the value
     * @throws IndexOutOfBoundsException if the 4 bytes are not all within {@code [0, limit)}
     * @throws IllegalStateException if the memory was freed
     */
    public int getInt(long index) {
        return segment.get(bigEndian ? INT_BE : INT_LE, checkIndex(index, Integer.BYTES));
    }

    /**
     * Writes an int at the position, in this buffer's byte order, and advances it by 4.
     *
     * @param value the value
     * @return this buffer
     * @throws BufferOverflowException if fewer than 4 bytes remain
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if the memory was freed
     */
    public NativeBuffer putInt(int value) {
        long p = putIndex(Integer.BYTES);
        segment.set(bigEndian ? INT_BE : INT_LE, p, value);
        position = p + Integer.BYTES;
        return this;
    }

    /**
     * Writes an int at {@code index}, in this buffer's byte order.
     *
     * @param index in {@code [0, limit - 4]}
     * @param value the value
     * @return this buffer
     * @throws IndexOutOfBoundsException if the 4 bytes are not all within {@code [0, limit)}
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if the memory was freed
     */
    public NativeBuffer putInt(long index, int value) {
        checkWritable();
        segment.set(bigEndian ? INT_BE : INT_LE, checkIndex(index, Integer.BYTES), value);
        return this;
    }

    // ---- long ------------------------------------------------------------------------------

    /**
     * Reads a long at the position, in this buffer's byte order, and advances it by 8.
     *
     * @return the value
     * @throws BufferUnderflowException if fewer than 8 bytes remain
     * @throws IllegalStateException if the memory was freed
     */
    public long getLong() {
        long p = getIndex(Long.BYTES);
        long v = segment.get(bigEndian ? LONG_BE : LONG_LE, p);
        position = p + Long.BYTES;
        return v;
    }

    /**
     * Reads a long at {@code index}, in this buffer's byte order.
     *
     * @param index in {@code [0, limit - 8]}
     * @return the value
     * @throws IndexOutOfBoundsException if the 8 bytes are not all within {@code [0, limit)}
     * @throws IllegalStateException if the memory was freed
     */
    public long getLong(long index) {
        return segment.get(bigEndian ? LONG_BE : LONG_LE, checkIndex(index, Long.BYTES));
    }

    /**
     * Writes a long at the position, in this buffer's byte order, and advances it by 8.
     *
     * @param value the value
     * @return this buffer
     * @throws BufferOverflowException if fewer than 8 bytes remain
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if the memory was freed
     */
    public NativeBuffer putLong(long value) {
        long p = putIndex(Long.BYTES);
        segment.set(bigEndian ? LONG_BE : LONG_LE, p, value);
        position = p + Long.BYTES;
        return this;
    }

    /**
     * Writes a long at {@code index}, in this buffer's byte order.
     *
     * @param index in {@code [0, limit - 8]}
     * @param value the value
     * @return this buffer
     * @throws IndexOutOfBoundsException if the 8 bytes are not all within {@code [0, limit)}
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if the memory was freed
     */
    public NativeBuffer putLong(long index, long value) {
        checkWritable();
        segment.set(bigEndian ? LONG_BE : LONG_LE, checkIndex(index, Long.BYTES), value);
        return this;
    }

    // ---- float -----------------------------------------------------------------------------

    /**
     * Reads a float at the position, in this buffer's byte order, and advances it by 4.
     *
     * @return the value
     * @throws BufferUnderflowException if fewer than 4 bytes remain
     * @throws IllegalStateException if the memory was freed
     */
    public float getFloat() {
        long p = getIndex(Float.BYTES);
        float v = segment.get(bigEndian ? FLOAT_BE : FLOAT_LE, p);
        position = p + Float.BYTES;
        return v;
    }

    /**
     * Reads a float at {@code index}, in this buffer's byte order.
     *
     * @param index in {@code [0, limit - 4]}
     * @return the value
     * @throws IndexOutOfBoundsException if the 4 bytes are not all within {@code [0, limit)}
     * @throws IllegalStateException if the memory was freed
     */
    public float getFloat(long index) {
        return segment.get(bigEndian ? FLOAT_BE : FLOAT_LE, checkIndex(index, Float.BYTES));
    }

    /**
     * Writes a float at the position, in this buffer's byte order, and advances it by 4.
     *
     * @param value the value
     * @return this buffer
     * @throws BufferOverflowException if fewer than 4 bytes remain
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if the memory was freed
     */
    public NativeBuffer putFloat(float value) {
        long p = putIndex(Float.BYTES);
        segment.set(bigEndian ? FLOAT_BE : FLOAT_LE, p, value);
        position = p + Float.BYTES;
        return this;
    }

    /**
     * Writes a float at {@code index}, in this buffer's byte order.
     *
     * @param index in {@code [0, limit - 4]}
     * @param value the value
     * @return this buffer
     * @throws IndexOutOfBoundsException if the 4 bytes are not all within {@code [0, limit)}
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if the memory was freed
     */
    public NativeBuffer putFloat(long index, float value) {
        checkWritable();
        segment.set(bigEndian ? FLOAT_BE : FLOAT_LE, checkIndex(index, Float.BYTES), value);
        return this;
    }

    // ---- double ----------------------------------------------------------------------------

    /**
     * Reads a double at the position, in this buffer's byte order, and advances it by 8.
     *
     * @return the value
     * @throws BufferUnderflowException if fewer than 8 bytes remain
     * @throws IllegalStateException if the memory was freed
     */
    public double getDouble() {
        long p = getIndex(Double.BYTES);
        double v = segment.get(bigEndian ? DOUBLE_BE : DOUBLE_LE, p);
        position = p + Double.BYTES;
        return v;
    }

    /**
     * Reads a double at {@code index}, in this buffer's byte order.
     *
     * @param index in {@code [0, limit - 8]}
     * @return the value
     * @throws IndexOutOfBoundsException if the 8 bytes are not all within {@code [0, limit)}
     * @throws IllegalStateException if the memory was freed
     */
    public double getDouble(long index) {
        return segment.get(bigEndian ? DOUBLE_BE : DOUBLE_LE, checkIndex(index, Double.BYTES));
    }

    /**
     * Writes a double at the position, in this buffer's byte order, and advances it by 8.
     *
     * @param value the value
     * @return this buffer
     * @throws BufferOverflowException if fewer than 8 bytes remain
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if the memory was freed
     */
    public NativeBuffer putDouble(double value) {
        long p = putIndex(Double.BYTES);
        segment.set(bigEndian ? DOUBLE_BE : DOUBLE_LE, p, value);
        position = p + Double.BYTES;
        return this;
    }

    /**
     * Writes a double at {@code index}, in this buffer's byte order.
     *
     * @param index in {@code [0, limit - 8]}
     * @param value the value
     * @return this buffer
     * @throws IndexOutOfBoundsException if the 8 bytes are not all within {@code [0, limit)}
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if the memory was freed
     */
    public NativeBuffer putDouble(long index, double value) {
        checkWritable();
        segment.set(bigEndian ? DOUBLE_BE : DOUBLE_LE, checkIndex(index, Double.BYTES), value);
        return this;
    }

    // ---- bulk ------------------------------------------------------------------------------

    /**
     * Copies {@code dst.length} bytes from the position into {@code dst} and advances the position.
     *
     * @param dst the destination
     * @return this buffer
     * @throws BufferUnderflowException if fewer than {@code dst.length} bytes remain
     * @throws IllegalStateException if the memory was freed
     */
    public NativeBuffer get(byte[] dst) {
        return get(dst, 0, dst.length);
    }

    /**
     * Copies {@code length} bytes from the position into {@code dst[offset...]} and advances the
     * position.
     *
     * @param dst the destination
     * @param offset the first index written in {@code dst}
     * @param length how many bytes
     * @return this buffer
     * @throws IndexOutOfBoundsException if {@code offset} and {@code length} do not fit {@code dst}
     * @throws BufferUnderflowException if fewer than {@code length} bytes remain
     * @throws IllegalStateException if the memory was freed
     */
    public NativeBuffer get(byte[] dst, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, dst.length);
        long p = getIndex(length);
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, p, dst, offset, length);
        position = p + length;
        return this;
    }

    /**
     * Copies all of {@code src} to the position and advances it.
     *
     * @param src the source
     * @return this buffer
     * @throws BufferOverflowException if fewer than {@code src.length} bytes remain
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if the memory was freed
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
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if the memory was freed
     */
    public NativeBuffer put(byte[] src, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, src.length);
        long p = putIndex(length);
        MemorySegment.copy(src, offset, segment, ValueLayout.JAVA_BYTE, p, length);
        position = p + length;
        return this;
    }

    /**
     * Copies the remaining bytes of {@code src} to the position; advances both positions.
     *
     * @param src the source; not this buffer
     * @return this buffer
     * @throws IllegalArgumentException if {@code src} is this buffer
     * @throws BufferOverflowException if {@code src} has more bytes remaining than this buffer
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if either buffer's memory was freed
     */
    public NativeBuffer put(NativeBuffer src) {
        if (src == this) {
            throw new IllegalArgumentException("The source buffer is this buffer");
        }
        long n = src.remaining();
        checkWritable();
        if (n > remaining()) {
            throw new BufferOverflowException();
        }
        MemorySegment.copy(src.segment, src.position, segment, position, n);
        src.position += n;
        position += n;
        return this;
    }

    /**
     * Copies the remaining bytes of {@code src} (heap or direct) to the position; advances both
     * positions.
     *
     * @param src the source
     * @return this buffer
     * @throws BufferOverflowException if {@code src} has more bytes remaining than this buffer
     * @throws ReadOnlyBufferException if this buffer is read-only
     * @throws IllegalStateException if this buffer's memory was freed
     */
    public NativeBuffer put(ByteBuffer src) {
        int n = src.remaining();
        checkWritable();
        if (n > remaining()) {
            throw new BufferOverflowException();
        }
        MemorySegment.copy(MemorySegment.ofBuffer(src), 0, segment, position, n);
        src.position(src.position() + n);
        position += n;
        return this;
    }

    // ---- views -----------------------------------------------------------------------------

    /**
     * A buffer over the bytes between the position and the limit, sharing the memory.
     *
     * @return a view with position 0, capacity and limit {@code remaining()}, this buffer's byte order
     */
    public NativeBuffer slice() {
        return slice(position, limit - position);
    }

    /**
     * A buffer over {@code [index, index + length)}, sharing the memory.
     *
     * @param index the first byte, in {@code [0, limit]}
     * @param length the length, with {@code index + length <= limit}
     * @return a view with position 0, capacity and limit {@code length}, this buffer's byte order
     * @throws IndexOutOfBoundsException if the range is not within {@code [0, limit]}
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
     * A buffer over the same memory with the same capacity, position, limit, mark and byte order,
     * and a cursor of its own.
     *
     * @return the view
     */
    public NativeBuffer duplicate() {
        return copyCursorTo(new NativeBuffer(segment, owner, alignment));
    }

    /**
     * A read-only buffer over the same memory with the same cursor and byte order.
     *
     * @return the view; its writes throw {@link ReadOnlyBufferException}
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
     * A direct {@link ByteBuffer} over the bytes between the position and the limit, for NIO
     * channels. It shares the memory and dies with it, and has this buffer's byte order.
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
        return segment.asSlice(position, n).asByteBuffer().order(order());
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[pos=" + position + " lim=" + limit + " cap=" + capacity
                + " address=0x" + Long.toHexString(address()) + (isAlive() ? "" : " freed")
                + (isReadOnly() ? " read-only" : "") + "]";
    }
}
