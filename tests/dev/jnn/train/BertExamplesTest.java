package dev.jnn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.data.Dataset;
import dev.jnn.data.text.LabelledText;
import dev.jnn.data.text.MaskedLmData;
import dev.jnn.data.text.Tokenizer;
import dev.jnn.loss.BceLoss;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.nn.Bert;
import dev.jnn.nn.Parameter;
import dev.jnn.optim.AdamW;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The masked-LM pre-training graph learns a tiny language; its encoder carries over into the classifier, which fine-tunes, saves and loads. */
class BertExamplesTest {
  @TempDir Path dir;

  static final int WORDS = 20, T = 12;

  /** 20 words w0..w19; their ids are 2..21 in order (equal counts: alphabetical ties, so w10..w19 come between w1 and w2). */
  static MaskedLmData.Vocabulary vocabulary() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < WORDS; i++) sb.append("w").append(i).append(' ');
    return new MaskedLmData.Vocabulary(Tokenizer.fit(List.of(sb.toString()), WORDS));
  }

  /** Windows of a counting language: [CLS], then word ids s, s+1, ... (cyclic over the 20 words): any masked word follows from its neighbours. */
  static MaskedLmData.Windows counting(int n, long seed, MaskedLmData.Vocabulary v) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] ids = new int[n * T];
    for (int i = 0; i < n; i++) {
      ids[i * T] = v.cls();
      int s = r.nextInt(WORDS);
      for (int j = 1; j < T; j++) ids[i * T + j] = 2 + (s + j) % WORDS;
    }
    return new MaskedLmData.Windows(ids, n, T);
  }

  static Bert.Config tiny(int vocabulary) { return BertExamples.config(vocabulary, T, 32, 1, 2, 64); }

  @ParameterizedTest
  @ValueSource(strings = {"java", "cpu"})
  void maskedLmPretrainingLearnsATinyLanguage(String device) throws Exception {
    MaskedLmData.Vocabulary v = vocabulary();
    int k = MaskedLmData.maskedPositions(T);
    MaskedLmData.Windows train = counting(512, 1, v);
    Dataset data = MaskedLmData.mask(train, v, k, new SplittableRandom(2)), held = MaskedLmData.mask(counting(128, 3, v), v, k, new SplittableRandom(4));
    Model m = BertExamples.maskedLm(tiny(v.size()), T, k, 5).to(Device.parse(device));
    m.compile(new SoftmaxCrossEntropyLoss(), AdamW.builder().lr(3e-3).build());
    assertArrayEquals(new int[] {-1, k, v.size()}, m.network().outputShape(new int[][] {{-1, T}, {-1, T}, {-1, k}}), "logits (B, K, V)");
    Evaluation before = m.evaluate(held);
    SplittableRandom masks = new SplittableRandom(6);
    m.fit(data, FitOptions.builder().epochs(20).batchSize(32).seed(7).callback(log -> MaskedLmData.remask(data, train, v, masks.split())).build());
    Evaluation after = m.evaluate(held);
    assertTrue(before.loss() > Math.log(v.size()) - 1.5, "untrained: near-uniform predictions, loss " + before.loss());
    assertTrue(after.loss() < 0.5 * before.loss(), "held-out loss fell from " + before.loss() + " to " + after.loss());
    assertTrue(after.accuracy() > 0.9, "held-out masked-token accuracy " + after.accuracy() + " (one word in 20 by frequency alone)");

    Path f = dir.resolve("mlm.safetensors");
    m.save(f);
    Model back = Model.load(f).to(m.device());
    Tensor[] x = {held.input(0).rows(0, 8).to(m.device()), held.input(1).rows(0, 8).to(m.device()), held.input(2).rows(0, 8).to(m.device())};
    assertArrayEquals(m.predict(x, 8).toArray(), back.predict(x, 8).toArray(), "the loaded model predicts the same logits");
  }

  /** Sentences of the counting language, ascending (label 1) or descending (label 0), 3 to 11 words, padded to 12. */
  static List<LabelledText.Example> directions(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<LabelledText.Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int label = r.nextInt(2), s = r.nextInt(WORDS), len = 3 + r.nextInt(T - 3);
      StringBuilder sb = new StringBuilder();
      for (int j = 0; j < len; j++) sb.append("w").append(Math.floorMod(label == 1 ? s + j : s - j, WORDS)).append(' ');
      out.add(new LabelledText.Example(label, sb.toString()));
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpu"})
  void thePretrainedEncoderFineTunesAsAClassifier(String device) throws Exception {
    MaskedLmData.Vocabulary v = vocabulary();
    int k = MaskedLmData.maskedPositions(T);
    Bert.Config c = tiny(v.size());
    Model mlm = BertExamples.maskedLm(c, T, k, 1).to(Device.parse(device));
    mlm.compile(new SoftmaxCrossEntropyLoss(), AdamW.builder().lr(3e-3).build());
    MaskedLmData.Windows windows = counting(512, 1, v);
    Dataset masked = MaskedLmData.mask(windows, v, k, new SplittableRandom(2));
    SplittableRandom masks = new SplittableRandom(6);
    mlm.fit(masked, FitOptions.builder().epochs(20).batchSize(32).seed(7).callback(log -> MaskedLmData.remask(masked, windows, v, masks.split())).build());

    Model cls = BertExamples.classifier(c, T, 3).to(mlm.device());
    float[] classifierWeight = cls.namedParameters().get("classifier.weight").value().toArray();
    BertExamples.copyEncoder(mlm, cls);
    Map<String, Parameter> from = BertExamples.encoder(mlm).namedParameters(), to = BertExamples.encoder(cls).namedParameters();
    assertEquals(from.keySet(), to.keySet());
    for (String name : from.keySet()) assertArrayEquals(from.get(name).value().toArray(), to.get(name).value().toArray(), name + " copied");
    assertArrayEquals(classifierWeight, cls.namedParameters().get("classifier.weight").value().toArray(), "the head keeps its initialization");
    assertTrue(cls.namedParameters().containsKey("bert.encoder.layers.0.self_attn.in_proj_weight") && cls.namedParameters().containsKey("pooler.dense.weight"),
        cls.namedParameters().keySet().toString());

    Dataset train = MaskedLmData.encodeWithCls(directions(384, 4), v, T), held = MaskedLmData.encodeWithCls(directions(128, 5), v, T);
    assertTrue(held.input(1).toArray()[T - 1] == 0 || held.input(1).toArray()[2 * T - 1] == 0 || held.input(1).toArray()[3 * T - 1] == 0, "padding occurs");
    cls.compile(new BceLoss(), AdamW.builder().lr(1e-3).build());
    cls.fit(train, FitOptions.builder().epochs(30).batchSize(32).seed(6).build());
    Evaluation e = cls.evaluate(held);
    assertTrue(e.accuracy() >= 0.95, "held-out accuracy " + e.accuracy() + " telling ascending from descending sentences");

    Path f = dir.resolve("cls.safetensors");
    cls.save(f);
    Model back = Model.load(f).to(cls.device());
    Tensor[] x = {held.input(0).to(cls.device()), held.input(1).to(cls.device())};
    assertArrayEquals(cls.predict(x, 64).toArray(), back.predict(x, 64).toArray(), "the loaded classifier predicts the same probabilities");
    assertEquals(e.accuracy(), back.evaluate(held).accuracy(), "and scores the same");

    IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
        () -> BertExamples.copyEncoder(mlm, BertExamples.classifier(BertExamples.config(v.size(), T, 16, 1, 2, 64), T, 1)));
    assertTrue(wrong.getMessage().contains("encoders differ"), wrong.getMessage());
  }
}
