package dev.jnn.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.data.DataLoader;
import dev.jnn.data.Dataset;
import dev.jnn.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sharding of {@link DistributedSampler}: PyTorch's strided split, padding, and the global batches it makes with a DataLoader. */
class DistributedSamplerTest {

  /** n samples whose single feature is the sample's index (so a batch tells which samples it holds). */
  private static Dataset indexed(int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = i;
    return new Dataset(Tensor.of(x, n, 1), Tensor.of(new float[n], n, 1));
  }

  @Test
  void stridedWithPaddingByWrapping() {
    int[] order = {9, 3, 7, 1, 0, 8, 2, 6, 4, 5};   // n = 10, W = 4: padded to 12 with order[0], order[1]
    assertArrayEquals(new int[] {9, 0, 4}, new DistributedSampler(0, 4).indices(order));
    assertArrayEquals(new int[] {3, 8, 5}, new DistributedSampler(1, 4).indices(order));
    assertArrayEquals(new int[] {7, 2, 9}, new DistributedSampler(2, 4).indices(order));
    assertArrayEquals(new int[] {1, 6, 3}, new DistributedSampler(3, 4).indices(order));
    assertEquals(3, new DistributedSampler(0, 4).size(10));
    assertArrayEquals(new int[] {9, 0}, new DistributedSampler(0, 4, true).indices(order));   // dropLast: 10 // 4 = 2 each
    assertArrayEquals(new int[] {1, 6}, new DistributedSampler(3, 4, true).indices(order));
  }

  @Test
  void ranksTogetherCoverEverySampleOnceWhenDivisible() {
    int[] order = new int[12];
    for (int i = 0; i < order.length; i++) order[i] = (i * 5) % 12;
    List<Integer> all = new ArrayList<>();
    for (int r = 0; r < 3; r++) for (int i : new DistributedSampler(r, 3).indices(order)) all.add(i);
    all.sort(null);
    for (int i = 0; i < 12; i++) assertEquals(i, all.get(i));
  }

  @Test
  void stepSOfWRanksHoldsTheSamplesOfStepSOfOneProcessWithWTimesTheBatch() {
    int n = 96, w = 3, b = 4;
    Dataset data = indexed(n);
    DataLoader single = DataLoader.builder(data).batchSize(w * b).seed(11).build();
    DataLoader[] ranks = new DataLoader[w];
    for (int r = 0; r < w; r++) ranks[r] = DataLoader.builder(data).batchSize(b).seed(11).sampler(new DistributedSampler(r, w)).build();
    assertEquals(single.batchesPerEpoch(), ranks[0].batchesPerEpoch());
    assertEquals(w * b, ranks[0].globalBatchSize());
    for (int epoch = 1; epoch <= 3; epoch++) {
      List<float[]> want = batches(single, epoch);
      List<List<float[]>> got = new ArrayList<>();
      for (DataLoader l : ranks) got.add(batches(l, epoch));
      for (int s = 0; s < want.size(); s++) {
        float[] union = new float[0];
        for (List<float[]> g : got) union = concat(union, g.get(s));
        float[] a = want.get(s).clone();
        Arrays.sort(a);
        Arrays.sort(union);
        assertArrayEquals(a, union, "epoch " + epoch + " step " + (s + 1));
      }
    }
  }

  @Test
  void resumingAtAnEpochReplaysTheSameShare() {
    DataLoader l = DataLoader.builder(indexed(50)).batchSize(5).seed(3).sampler(new DistributedSampler(1, 2)).build();
    assertEquals(25, l.size());
    int[] third = l.order(3);
    try (DataLoader.Cursor c = l.open(3)) {
      int k = 0;
      for (DataLoader.Batch bt; (bt = c.next()) != null; )
        for (int i = 0; i < bt.size(); i++) assertEquals(third[k++], (int) bt.x().get(i, 0));
      assertEquals(25, k);
    }
    assertArrayEquals(new DistributedSampler(1, 2).indices(DataLoader.builder(indexed(50)).seed(3).build().order(3)), third);
  }

  @Test
  void badArgumentsAreNamed() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new DistributedSampler(2, 2)).getMessage().contains("rank must be in [0, 2)"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new DistributedSampler(0, 0)).getMessage().contains("worldSize"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new DistributedSampler(0, 4, true).size(3)).getMessage().contains("leaves every process none"));
  }

  private static List<float[]> batches(DataLoader l, int epoch) {
    List<float[]> out = new ArrayList<>();
    try (DataLoader.Cursor c = l.open(epoch)) {
      for (DataLoader.Batch b; (b = c.next()) != null; ) out.add(b.x().toArray());
    }
    return out;
  }

  private static float[] concat(float[] a, float[] b) {
    float[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
