package io.nativemem;

import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every allocation entry point × every bad size and alignment: the right type, the value named, the ledger untouched. */
class BadInputTest {

    interface Allocation {
        void allocate(long size, long alignment);
    }

    private static final NativeArena CONFINED = NativeArena.ofConfined();
    private static final NativeArena SHARED = NativeArena.ofShared();
    private static final NativeArena AUTO = NativeArena.ofAuto();

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        List<Object[]> entryPoints = List.of(
                new Object[] {"confined.allocate", (Allocation) CONFINED::allocate},
                new Object[] {"shared.allocate", (Allocation) SHARED::allocate},
                new Object[] {"auto.allocate", (Allocation) AUTO::allocate},
                new Object[] {"confined.allocateBuffer", (Allocation) CONFINED::allocateBuffer},
                new Object[] {"shared.allocateBuffer", (Allocation) SHARED::allocateBuffer},
                new Object[] {"auto.allocateBuffer", (Allocation) AUTO::allocateBuffer},
                new Object[] {"allocateDirect", (Allocation) NativeBuffer::allocateDirect});
        long[][] bad = {
            {-1, 8, -1}, {Long.MIN_VALUE, 8, Long.MIN_VALUE}, {-4096, 16, -4096},
            {16, 0, 0}, {16, -8, -8}, {16, 3, 3}, {16, 12, 12}, {16, Long.MIN_VALUE, Long.MIN_VALUE},
            {16, Long.MAX_VALUE, Long.MAX_VALUE}, {16, (1L << 20) + 1, (1L << 20) + 1},
        };
        for (Object[] entry : entryPoints) {
            for (long[] values : bad) {
                cases.add(Arguments.of(entry[0], entry[1], values[0], values[1], values[2]));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}({2}, {3})")
    @MethodSource("cases")
    void badSizesAndAlignmentsAreRejectedBeforeAnythingIsReserved(String name, Allocation allocation, long size,
                                                                   long alignment, long named) {
        MemoryStats before = NativeMemory.stats();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> allocation.allocate(size, alignment));
        assertTrue(e.getMessage().contains(String.valueOf(named)), e.getMessage());
        MemoryStats after = NativeMemory.stats();
        assertEquals(before.count(), after.count());
        assertEquals(before.totalCapacity(), after.totalCapacity());
        assertEquals(before.failedReservations(), after.failedReservations());
    }

    static Stream<Arguments> tooLarge() {
        Function<Allocation, Executable> huge = a -> () -> a.allocate(Long.MAX_VALUE, 8);
        return Stream.of(
                Arguments.of("confined", huge.apply(CONFINED::allocate)),
                Arguments.of("shared", huge.apply(SHARED::allocateBuffer)),
                Arguments.of("direct", huge.apply(NativeBuffer::allocateDirect)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tooLarge")
    void aSizeBeyondTheLimitFailsWithTheLedgerMessage(String name, Executable allocation) {
        MemoryStats before = NativeMemory.stats();
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class, allocation);
        assertTrue(e.getMessage().startsWith("Cannot reserve " + Long.MAX_VALUE + " bytes of native memory (allocated: "),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("limit: " + NativeMemory.maxMemory() + ")"), e.getMessage());
        MemoryStats after = NativeMemory.stats();
        assertEquals(before.count(), after.count());
        assertEquals(before.totalCapacity(), after.totalCapacity());
        assertEquals(before.failedReservations() + 1, after.failedReservations());
    }

    @org.junit.jupiter.api.AfterAll
    static void closeArenas() {
        CONFINED.close();
        SHARED.close();
    }
}
