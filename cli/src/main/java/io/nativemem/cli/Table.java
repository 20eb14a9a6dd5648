package io.nativemem.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** A small text table: columns as wide as their widest cell, numbers right-aligned. */
final class Table {

    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
        rows.add(header);
    }

    Table row(Object... cells) {
        String[] text = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            text[i] = String.valueOf(cells[i]);
        }
        rows.add(text);
        return this;
    }

    void print(PrintStream out) {
        int columns = rows.get(0).length;
        // A column is right-aligned when every cell below the header is a figure (or "-", none).
        boolean[] numeric = new boolean[columns];
        for (int c = 0; c < columns; c++) {
            final int column = c;
            numeric[c] = rows.size() > 1 && rows.stream().skip(1)
                    .allMatch(row -> row[column].equals("-")
                            || row[column].matches("-?[0-9][0-9.,]*( ?[A-Za-z/%()0-9 .]{1,12})?"));
        }
        int[] widths = new int[columns];
        for (String[] row : rows) {
            for (int c = 0; c < columns; c++) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        for (int r = 0; r < rows.size(); r++) {
            StringBuilder line = new StringBuilder("  ");
            for (int c = 0; c < columns; c++) {
                String cell = rows.get(r)[c];
                boolean number = r > 0 && numeric[c];
                String pad = " ".repeat(widths[c] - cell.length());
                line.append(number ? pad + cell : cell + pad).append(c + 1 < columns ? "  " : "");
            }
            out.println(line.toString().stripTrailing());
            if (r == 0) {
                StringBuilder rule = new StringBuilder("  ");
                for (int c = 0; c < columns; c++) {
                    rule.append("-".repeat(widths[c])).append(c + 1 < columns ? "  " : "");
                }
                out.println(rule);
            }
        }
    }

    /** Bytes as a short human figure: 1536 -> "1.5 KiB". */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = n;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(java.util.Locale.ROOT, value < 10 ? "%.1f %s" : "%.0f %s", value, units[unit]);
    }
}
