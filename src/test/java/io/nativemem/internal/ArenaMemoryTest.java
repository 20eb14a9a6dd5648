package io.nativemem.internal;

import io.nativemem.testing.CapturedLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An arena's record of its memory on its own, with real slabs and blocks from libc, charged to a
 * ledger of its own (whose queue no thread serves: nothing here is freed behind the test's back).
 */
class ArenaMemoryTest {

    private final Ledger ledger = new Ledger(1 << 20, Ledger.Reclaimer.NONE);
    private final Object scope = new Object(); // held: the GC never hands a record over here

    private ArenaMemory record(boolean concurrent) {
        return ArenaMemory.register(scope, new ArenaMemory.Origin(ledger, "confined", true, concurrent, null));
    }

    private Ledger.Snapshot stats() {
        return ledger.snapshot(0, 0);
    }

    @AfterEach
    void theLedgerIsEmpty() {
        Ledger.Snapshot s = stats();
        assertEquals(0, s.count(), s.toString());
        assertEquals(0, s.totalCapacity(), s.toString());
        assertEquals(0, s.reservedMemory(), s.toString());
    }

    @Test
    void freeingFreesEveryBlockOnceAndReturnsTheirReservationsTogether() {
        ArenaMemory memory = record(false);
        long total = 0;
        for (int i = 1; i <= 10; i++) { // past the first array of 2 entries: it grows
            long address = NativeBlocks.allocate(ledger, 10_000L * i, 16);
            memory.addBlock(address, 10_000L * i);
            total += 10_000L * i;
        }
        assertEquals(10, memory.count());
        assertEquals(total, memory.bytes());
        assertEquals(10, stats().count());
        assertEquals(total, stats().totalCapacity());
        assertTrue(memory.runExplicitly());
        assertEquals(10, stats().freedExplicitly());
        assertEquals(0, stats().freedByGc());
        assertFalse(memory.runExplicitly(), "a second close frees nothing twice (the ledger would underflow)");
        assertEquals(10, stats().freedExplicitly());
    }

    @Test
    void slabsAreFreedWithTheBlocksAndTheirSlackIsOverheadUntilThen() {
        ArenaMemory memory = record(false);
        List<Long> slabs = new ArrayList<>();
        try (Arena scope = Arena.ofConfined()) {
            // Blocks of 1000 bytes, 16-aligned, 1008 apart: slabs of 1008 (1 block), 2016 (2) and
            // 4032 bytes (4) for the first 7; the first retired holds 8 bytes of no block, the
            // second 16 (8 of padding between its blocks, 8 at its end).
            for (int block = 0; block < 8; block++) {
                assertSame(memory, ArenaMemory.carveSlowly(memory, null, scope.scope(), 1000, 16, false));
                MemorySegment segment = memory.wrapLast(scope, 1000);
                assertEquals(1000, segment.byteSize());
                assertEquals(0, segment.get(ValueLayout.JAVA_LONG, 992), "zeroed");
                if (slabs.isEmpty() || slabs.get(slabs.size() - 1) != memory.slab()) {
                    slabs.add(memory.slab());
                }
            }
            assertEquals(4, slabs.size(), "the 8th block opened a fourth slab of 8064 bytes");
            assertEquals(8, stats().count());
            assertEquals(8000, stats().totalCapacity());
            assertEquals(8000 + 8 + 16 + 32, stats().reservedMemory(), "the slack of the three retired slabs");
            memory.runExplicitly();
        }
        assertEquals(8, stats().freedExplicitly());
    }

    /**
     * C2 never inlines a method of more than {@code FreqInlineSize} (325) bytes of bytecode, and
     * the slow path of carving relies on it (see its implNote): a change that shrinks it below
     * must find another way to keep it out of the arena's {@code allocate}.
     */
    @Test
    void theSlowPathOfCarvingIsTooLargeForC2ToInline() throws Exception {
        StringWriter out = new StringWriter();
        String classes = Path.of(ArenaMemory.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        int status = ToolProvider.findFirst("javap").orElseThrow().run(new PrintWriter(out), new PrintWriter(out),
                "-c", "-p", "-cp", classes, ArenaMemory.class.getName());
        assertEquals(0, status, out.toString());
        String text = out.toString();
        int start = text.indexOf(" carveSlowly(");
        assertTrue(start > 0, text);
        String method = text.substring(start, text.indexOf("\n\n", start));
        Matcher offsets = Pattern.compile("(?m)^\\s+(\\d+): ").matcher(method);
        int last = -1;
        while (offsets.find()) {
            last = Integer.parseInt(offsets.group(1));
        }
        assertTrue(last >= 325, "carveSlowly ends at bytecode offset " + last + ", C2 may inline it");
    }

    @Test
    void freedByTheGcCountsAsFreedByTheGcAndReportsTheLeakExactly() {
        ArenaMemory memory = record(true);
        try (Arena scope = Arena.ofConfined()) {
            for (int i = 0; i < 3; i++) {
                ArenaMemory.carveSlowly(memory, null, scope.scope(), 64, 16, false).wrapLast(scope, 64);
            }
        }
        memory.addBlock(NativeBlocks.allocate(ledger, 8192, 16), 8192);
        List<String> reports = new CopyOnWriteArrayList<>();
        LeakDetection.Listener previous = LeakDetection.setListener(
                (kind, blocks, bytes, createdAt) -> reports.add(kind + " " + blocks + " " + bytes));
        try (CapturedLog log = CapturedLog.ofRuntime()) {
            assertEquals(3 * 64 + 8192, memory.runByGc());
            assertEquals(1, log.messages().size());
            assertTrue(log.messages().get(0).startsWith(
                    "WARNING: A confined arena was not closed: its 4 blocks (8384 bytes) were freed"), log.messages().toString());
        } finally {
            LeakDetection.setListener(previous);
        }
        assertEquals(List.of("confined 4 8384"), reports);
        assertEquals(4, stats().freedByGc());
        assertEquals(-1, memory.runByGc(), "freed once");
    }

    @Test
    void aMappingIsUnmappedWithTheBlocksButIsNotABlock(@TempDir Path dir) throws Exception {
        Path file = Files.write(dir.resolve("m.bin"), new byte[8192]);
        ArenaMemory memory = record(false);
        FileMapper.Region region = FileMapper.map(file, FileChannel.MapMode.READ_ONLY, 100, 5000);
        long mappedBefore = MappedTally.count();
        memory.addMapping(region.base(), region.span(), 5000);
        memory.addBlock(NativeBlocks.allocate(ledger, 256, 16), 256);
        assertEquals(1, memory.count());
        assertEquals(256, memory.bytes());
        memory.runExplicitly();
        assertEquals(mappedBefore - 1, MappedTally.count());
        assertEquals(0, stats().count());
    }

    @Test
    void aRecordNobodyFilledFreesNothingAndReleasesNothing() {
        ArenaMemory memory = record(false);
        assertTrue(memory.runExplicitly());
        assertEquals(0, stats().freedExplicitly());
    }
}
