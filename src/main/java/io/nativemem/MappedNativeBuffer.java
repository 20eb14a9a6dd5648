package io.nativemem;

import java.lang.foreign.MemorySegment;

/**
 * A {@link NativeBuffer} over a region of a file mapped with libc {@code mmap}, from
 * {@link NativeArena#map}.
 */
public final class MappedNativeBuffer extends NativeBuffer {

    MappedNativeBuffer(MemorySegment segment, long alignment) {
        super(segment, null, alignment);
    }

    /**
     * Writes changes back to the file ({@code msync}).
     *
     * @return this buffer
     * @throws UnsupportedOperationException always, until mapped files are implemented
     */
    public MappedNativeBuffer force() {
        throw new UnsupportedOperationException("Mapped files are not available yet");
    }
}
