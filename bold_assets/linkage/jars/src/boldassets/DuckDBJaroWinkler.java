package boldassets;

import org.apache.spark.sql.api.java.UDF2;

/**
 * DuckDB's jaro_winkler_similarity, value for value, as a Spark SQL function.
 *
 * DuckDB (its vendored jaro_winkler library) compares Unicode code points, counts common
 * characters greedily within max(len)/2 - 1 positions, counts a transposition per out-of-order
 * pair and halves that count with integer division, gives 0 when either string is empty, and adds
 * the Winkler bonus (prefix of up to 4, weight 0.1) only above 0.7, as one fused multiply-add (as
 * the DuckDB build we compared with computes it: equal to the last bit on 100,000 pairs).
 * Splink's Spark jar keeps half transpositions, so names scored on Spark would otherwise fall a
 * comparison level now and then. Rebuild the jar with build.sh (two folders up).
 */
public class DuckDBJaroWinkler implements UDF2<String, String, Double> {

    @Override
    public Double call(String left, String right) {
        if (left == null || right == null) {
            return null;
        }
        return similarity(left.codePoints().toArray(), right.codePoints().toArray());
    }

    public static double similarity(int[] p, int[] t) {
        int prefix = 0;
        int maxPrefix = Math.min(Math.min(p.length, t.length), 4);
        while (prefix < maxPrefix && p[prefix] == t[prefix]) {
            prefix++;
        }
        double sim = jaro(p, t);
        if (sim > 0.7) {
            sim = Math.fma(prefix * 0.1, 1.0 - sim, sim);
        }
        return sim;
    }

    static double jaro(int[] p, int[] t) {
        if (p.length == 0 || t.length == 0) {
            return 0.0;
        }
        if (p.length == 1 && t.length == 1) {
            return p[0] == t[0] ? 1.0 : 0.0;
        }
        int bound = Math.max(p.length, t.length) / 2 - 1;
        boolean[] pFlag = new boolean[p.length];
        boolean[] tFlag = new boolean[t.length];
        long common = 0;
        for (int j = 0; j < t.length; j++) {
            int from = Math.max(0, j - bound);
            int to = Math.min(p.length - 1, j + bound);
            for (int i = from; i <= to; i++) {
                if (!pFlag[i] && p[i] == t[j]) {
                    pFlag[i] = true;
                    tFlag[j] = true;
                    common++;
                    break;
                }
            }
        }
        if (common == 0) {
            return 0.0;
        }
        long transpositions = 0;
        int i = 0;
        for (int j = 0; j < t.length; j++) {
            if (tFlag[j]) {
                while (!pFlag[i]) {
                    i++;
                }
                if (p[i] != t[j]) {
                    transpositions++;
                }
                i++;
            }
        }
        transpositions /= 2;
        double sim = 0;
        sim += (double) common / (double) p.length;
        sim += (double) common / (double) t.length;
        sim += ((double) common - (double) transpositions) / (double) common;
        return sim / 3.0;
    }
}
