package io.nativemem.internal;

import io.nativemem.testing.CapturedLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        for (int slab = 0; slab < 3; slab++) {
            long address = Slabs.allocate(4096);
            // Three blocks of 1000 bytes carved from each slab: 1096 bytes of each hold no block.
            for (int block = 0; block < 3; block++) {
                ledger.reserve(1000);
                ledger.commit(1000);
                memory.countBlock(1000);
            }
            memory.openSlab(address, 4096, 1096);
            assertEquals(address, memory.slab());
        }
        // The first slab was opened with nothing before it; the next two each retired one.
        assertEquals(9, stats().count());
        assertEquals(9000, stats().totalCapacity());
        assertEquals(9000 + 2 * 1096, stats().reservedMemory(), "the slack of the two retired slabs");
        memory.runExplicitly();
        assertEquals(9, stats().freedExplicitly());
    }

    @Test
    void freedByTheGcCountsAsFreedByTheGcAndReportsTheLeakExactly() {
        ArenaMemory memory = record(true);
        long slab = Slabs.allocate(256);
        memory.openSlab(slab, 0, 0);
        for (int i = 0; i < 3; i++) {
            ledger.reserve(64);
            ledger.commit(64);
            memory.countBlock(64);
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
