package io.nativemem.internal;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Zeroing, on memory libc hands back dirty: a block written all over and freed is, for the same
 * size, usually the next one malloc returns, so a zeroing that misses a byte shows here. Sizes on
 * both sides of where the Java loop takes over from {@code memset}, and sizes that are not a
 * multiple of 8 (the loop's tail).
 */
class LibcAllocatorTest {

    @ParameterizedTest
    @ValueSource(longs = {1, 7, 64, 4095, 4096, 4099, 8191, 65536, 65541, 131071, 131072, 131075, 1 << 20})
    void everyByteOfAReusedBlockIsZeroed(long size) {
        long reused = 0;
        for (int round = 0; round < 8; round++) {
            long address = LibcAllocator.allocateZeroed(size, 16);
            assertNotEquals(0, address);
            MemorySegment block = MemorySegment.ofAddress(address).reinterpret(size);
            long firstNonZero = -1;
            for (long i = 0; i < size && firstNonZero < 0; i++) {
                if (block.get(ValueLayout.JAVA_BYTE, i) != 0) {
                    firstNonZero = i;
                }
            }
            assertEquals(-1, firstNonZero, "round " + round + ", size " + size + ": a byte left unzeroed");
            block.fill((byte) 0xA5);
            LibcAllocator.free(address, size);
            reused = address;
        }
        assertNotEquals(0, reused);
    }
}
