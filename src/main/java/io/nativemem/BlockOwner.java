package io.nativemem;

import java.lang.foreign.MemorySegment;

/**
 * What a {@link NativeBuffer}'s memory belongs to: a GC-managed block of its own
 * ({@link DirectBlock}) or an arena ({@link NativeArenaImpl}). It decides what
 * {@link NativeBuffer#close()} does and explains a failed access in words the user can act on.
 */
sealed interface BlockOwner permits DirectBlock, NativeArenaImpl {

    /** Called by {@link NativeBuffer#close()}: frees a GC-managed block; nothing for an arena's. */
    void closeBuffer();

    /**
     * Turns the JDK's exception for an access that its scope refused (freed memory, another
     * thread) into one that says which memory and which threads. Called only on the slow path.
     *
     * @param refused an {@link IllegalStateException} or {@link WrongThreadException} from the JDK
     * @return the exception to throw instead
     */
    RuntimeException accessRefused(RuntimeException refused);

    /**
     * The segment to hand to the user for {@code internal}, a segment of a buffer of this owner:
     * {@code internal} itself unless its scope outlives what {@link #closeBuffer()} frees.
     */
    default MemorySegment exposedSegment(MemorySegment internal) {
        return internal;
    }
}
