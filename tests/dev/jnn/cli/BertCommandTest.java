package dev.jnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.data.text.LicenseTexts;
import dev.jnn.data.text.Tokenizer;
import dev.jnn.train.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jnn train bert} and {@code jnn bench bert} with tiny options print what the README shows; the saved models load. */
class BertCommandTest {
  private static CliRun run(String... args) { return CliRun.of(args); }

  private static double percent(String out, String regex) {
    Matcher m = Pattern.compile(regex).matcher(out);
    assertTrue(m.find(), regex + " in\n" + out);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void trainBertPretrainsFineTunesAndSaves(@TempDir Path dir) throws Exception {
    if (!LicenseTexts.available()) {   // as CliTest's text classifier: Debian's base-files provides the texts
      if (System.getenv("CI") != null) throw new AssertionError(LicenseTexts.DIR + " missing: required in CI");
      Assumptions.abort(LicenseTexts.DIR + " not present (Debian's base-files package)");
    }
    Path cls = dir.resolve("cls.safetensors"), mlm = dir.resolve("mlm.safetensors");
    CliRun r = run("train", "bert", "--device", "cpu", "--layers", "1", "--hidden", "32", "--heads", "2", "--intermediate", "64", "--seq-len", "48",
        "--max-words", "2000", "--corpus", "licences", "--limit", "256", "--pretrain-epochs", "2", "--finetune-epochs", "3", "--save", cls.toString(), "--save-pretrained",
        mlm.toString());
    assertEquals(0, r.exit(), r.out() + r.err());
    String o = r.out();
    assertTrue(o.contains("corpus: ") && o.contains("licence files (/usr/share/common-licenses), ") && !o.contains("copyright files"), o);
    assertTrue(o.contains("(--limit: 256 of them, at random)"), o);
    assertTrue(o.contains("vocabulary: 2000 words (ids 2..2001) + <pad> 0, <oov> 1, [MASK] 2002, [CLS] 2003 = 2004 ids"), o);
    assertTrue(o.contains("masking: 7 of 48 positions per sequence"), o);
    assertTrue(o.contains("pre-training: 2 epoch(s) of 8 steps, batch 32"), o);
    assertTrue(o.contains("epoch 2/2: train loss"), o);
    double unigram = percent(o, "a unigram model scores accuracy ([0-9.]+)%");
    double masked = percent(o, "(?s)epoch 2/2: train loss.*?held-out masked-token accuracy ([0-9.]+)%, perplexity [0-9.]+");
    assertTrue(masked > 0 && masked < 100 && unigram > 0, o);
    assertTrue(o.contains("fine-tuning on GPL-3 (0) vs Apache-2.0 (1) sentences (the text classifier's split): 212 training, 53 held out"), o);
    assertTrue(o.contains("epoch 3/3: train loss"), o);
    double bert = percent(o, "held-out accuracy: BERT fine-tuned ([0-9.]+)%");
    double baseline = percent(o, "\\(jnn train text-classifier\\) ([0-9.]+)%");
    double majority = percent(o, "majority class ([0-9.]+)%");
    assertTrue(bert >= majority - 10 && bert <= 100, o);
    assertTrue(baseline > majority, "the baseline network of train text-classifier beats the majority class\n" + o);
    assertTrue(o.contains("time: pre-training "), o);

    Model back = Model.load(cls);
    assertEquals(2, back.inputCount(), "ids and mask");
    assertEquals(3, Model.load(mlm).inputCount(), "ids, mask and positions");
    Tokenizer tok = Tokenizer.parse(Files.readString(cls.resolveSibling("cls.safetensors.tokenizer.txt")).strip());
    assertEquals(2002, tok.size(), "2000 words + <pad>, <oov>; [MASK] and [CLS] follow");
  }

  @Test
  void badOptionsAreOneLineBeforeAnyWork() {
    CliRun r = run("train", "bert", "--seq-len", "16");
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("jnn: --seq-len must be >= 41"), r.err());
    r = run("train", "bert", "--hidden", "30", "--heads", "4");
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("--hidden 30 must be divisible by --heads 4"), r.err());
  }

  @Test
  void benchBertPrintsRatesHeapAndLayers() {
    CliRun r = run("bench", "bert", "--devices", "cpu", "--layers", "1", "--hidden", "32", "--intermediate", "64", "--vocab", "50", "--seq-len", "16",
        "--batch", "4", "--runs", "2", "--steps", "2", "--warmup", "2", "--profile-steps", "2");
    assertEquals(0, r.exit(), r.out() + r.err());
    assertTrue(r.out().contains("BERT-style encoder: vocabulary 50, sequence 16, d 32"), r.out());
    assertTrue(Pattern.compile("cpu   train +[0-9]+ \\[ *[0-9]+\\.\\. *[0-9]+\\] tokens/s   inference +[0-9]+ ").matcher(r.out()).find(), r.out());
    assertTrue(r.out().contains("bytes per training step"), r.out());
    assertTrue(r.out().contains("MultiHeadAttention#1") && r.out().contains("gemm_batched"), r.out());
  }
}
