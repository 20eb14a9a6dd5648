package io.nativemem;

import io.nativemem.forked.CloseWhileInUseProbe;
import io.nativemem.testing.ForkedJvm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shared arenas closed while other threads read them, under the default JIT, the interpreter
 * only and C1 only, and GC-managed buffers closed one by one while read: close() succeeds, each
 * reader stops with one IllegalStateException, nothing crashes, the ledger ends empty. The
 * GC-managed buffers share a cohort (one JDK scope for many blocks) that stays open while they are
 * closed one by one, so what stops their readers is the block's own closed flag, or, for the
 * segment() and asByteBuffer() views, the scope of the block's own that close() ends; buffers over
 * 64 KiB are alone in their cohort, whose scope close() ends. Each configuration runs in a JVM of
 * its own.
 */
class CloseWhileInUseTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "shared arenas with the default JIT, , 300, arena", "shared arenas interpreted, -Xint, 40, arena",
        "shared arenas with C1 only, -XX:TieredStopAtLevel=1, 300, arena",
        "GC-managed buffers with the default JIT, , 100, direct", "GC-managed buffers interpreted, -Xint, 20, direct",
        "GC-managed buffers with C1 only, -XX:TieredStopAtLevel=1, 100, direct",
        "segment() and asByteBuffer() views of GC-managed buffers, , 100, direct-views",
        "GC-managed buffers of 128 KiB (a cohort each), , 100, direct-large",
        "GC-managed buffers of 128 KiB interpreted, -Xint, 20, direct-large",
        "GC-managed buffers of 128 KiB with C1 only, -XX:TieredStopAtLevel=1, 100, direct-large",
        "segment() and asByteBuffer() views of GC-managed buffers interpreted, -Xint, 20, direct-views",
        "GC-managed buffers closed by a thread that did not allocate them, , 100, direct-foreign",
        "GC-managed buffers closed by a thread that did not allocate them interpreted, -Xint, 20, direct-foreign",
        "GC-managed buffers closed by a thread that did not allocate them with C1 only, -XX:TieredStopAtLevel=1, 100, direct-foreign",
    })
    void closeWhileReading(String name, String flag, int rounds, String what) {
        List<String> options = flag == null ? List.of() : List.of(flag);
        ForkedJvm.Result result = ForkedJvm.run(options, CloseWhileInUseProbe.class, Integer.toString(rounds), what);
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.output().contains("rounds=" + rounds + " readersStoppedByClose=" + (3 * rounds)
                + " liveBlocks=0 capacity=0"), result.toString());
    }
}
