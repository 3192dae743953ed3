import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { TemplateDataError, templateDataFromJson } from "./data-json.ts";
import { exampleTemplateData } from "./example-data.ts";
import { TemplateSet } from "./template-set.ts";

// Expected outputs are what `amtool template render --template.data` (Alertmanager 0.25, Go 1.19) prints
// for the same file; test/e2e/template-differential.test.ts checks the same classes against amtool itself.

const render = (json: string | Uint8Array, text = '{{ printf "%#v" . }}'): string => new TemplateSet().renderText(text, templateDataFromJson(json));
const failure = (json: string | Uint8Array): string => {
  try {
    templateDataFromJson(json);
  } catch (err) {
    assert.ok(err instanceof TemplateDataError, `not a TemplateDataError: ${String(err)}`);
    return err.message;
  }
  assert.fail(`decoded ${JSON.stringify(String(json))}`);
};

describe("template data files decoded as Go's encoding/json decodes them", () => {
  test("keys match fields whatever their case; unknown keys are ignored", () => {
    assert.equal(render('{"RECEIVER":"a","Status":"firing","ALERTS":[{"LABELS":{"x":"1"},"StartsAt":"2020-01-01T00:00:00Z"}],"externalurl":"u","extra":1}', "{{ .Receiver }} {{ .Status }} {{ .ExternalURL }} {{ (index .Alerts 0).Labels.x }} {{ (index .Alerts 0).StartsAt }}"), "a firing u 1 2020-01-01 00:00:00 +0000 UTC");
  });

  test("Go's fold also lets ſ stand for s and the Kelvin sign for k", () => {
    assert.equal(render('{"ſtatus":"x","alertſ":[{"ſtartſAt":"2020-01-01T00:00:00Z"}]}', "{{ .Status }} {{ len .Alerts }} {{ (index .Alerts 0).StartsAt.Year }}"), "x 1 2020");
  });

  test("what is missing or null is Go's zero value: nil maps, nil alerts, zero times, empty strings", () => {
    assert.equal(render("{}"), 'template.Data{Receiver:"", Status:"", Alerts:template.Alerts(nil), GroupLabels:template.KV(nil), CommonLabels:template.KV(nil), CommonAnnotations:template.KV(nil), ExternalURL:""}');
    assert.equal(render("null"), render("{}"));
    assert.equal(render('{"commonLabels":null,"alerts":[{"labels":null,"endsAt":null}]}', '{{ .CommonLabels }} {{ len .CommonLabels }} {{ range .CommonLabels }}x{{ else }}none{{ end }} {{ (index .Alerts 0).EndsAt.IsZero }}'), "map[] 0 none true");
    assert.equal(render('{"alerts":[]}', '{{ printf "%#v" .Alerts }}'), "template.Alerts{}");
  });

  test("a repeated field decodes into what is there: maps merge, null resets, the last string wins", () => {
    assert.equal(render('{"commonLabels":{"a":"1"},"CommonLabels":{"b":null}}', '{{ printf "%#v" .CommonLabels }}'), 'template.KV{"a":"1", "b":""}');
    assert.equal(render('{"commonLabels":{"a":"1"},"commonlabels":null}', '{{ printf "%#v" .CommonLabels }}'), "template.KV(nil)");
    assert.equal(render('{"receiver":"a","Receiver":"b","receiver":null}', "{{ .Receiver }}"), "b");
  });

  test("a repeated alert list decodes element by element into the existing slice", () => {
    const text = '{{ range .Alerts }}[{{ .Status }} {{ .Labels }}]{{ end }}';
    assert.equal(render('{"alerts":[{"labels":{"a":"1"}}],"Alerts":[{"Labels":{"b":"2"}}]}', text), "[ map[a:1 b:2]]");
    // The first list left a backing array of capacity 4: shrinking and growing again reuses its elements.
    assert.equal(render('{"alerts":[{"status":"s1"},{"status":"s2"}],"alerts":[{}],"alerts":[{},{"labels":{"x":"y"}}]}', text), "[s1 map[]][s2 map[x:y]]");
    // Growing past the capacity copies only the live elements.
    assert.equal(render('{"alerts":[{},{},{},{"status":"old"}],"alerts":[{}],"alerts":[{},{},{},{},{}]}', text), "[ map[]][ map[]][ map[]][old map[]][ map[]]");
  });

  test("times: Z is time.UTC, a zero offset is time.Local, other offsets a fixed zone", () => {
    assert.equal(render('{"alerts":[{"startsAt":"2020-01-02T03:04:05.5Z","endsAt":"2020-01-02T03:04:05+00:00"}]}', '{{ range .Alerts }}{{ printf "%#v|%#v" .StartsAt .EndsAt }}{{ end }}'), "time.Date(2020, time.January, 2, 3, 4, 5, 500000000, time.UTC)|time.Date(2020, time.January, 2, 3, 4, 5, 0, time.Local)");
    assert.equal(render('{"alerts":[{"startsAt":"2020-01-02T03:04:05+02:00"}]}', "{{ (index .Alerts 0).StartsAt }}"), "2020-01-02 03:04:05 +0200 +0200");
  });

  test("type mismatches name the field path as Go does", () => {
    assert.equal(failure('{"receiver":5}'), "json: cannot unmarshal number into Go struct field Data.receiver of type string");
    assert.equal(failure('{"alerts":[{"labels":{"a":1}}]}'), "json: cannot unmarshal number into Go struct field Alert.alerts.labels of type string");
    assert.equal(failure('{"alerts":[5]}'), "json: cannot unmarshal number into Go struct field Data.alerts of type template.Alert");
    assert.equal(failure('{"alerts":{}}'), "json: cannot unmarshal object into Go struct field Data.alerts of type template.Alerts");
    assert.equal(failure('{"commonLabels":[]}'), "json: cannot unmarshal array into Go struct field Data.commonLabels of type template.KV");
    assert.equal(failure('{"Status":true}'), "json: cannot unmarshal bool into Go struct field Data.status of type string");
    assert.equal(failure("[1]"), "json: cannot unmarshal array into Go value of type template.Data");
    assert.equal(failure('"x"'), "json: cannot unmarshal string into Go value of type template.Data");
    // Go keeps decoding after a mismatch and reports the first one.
    assert.equal(failure('{"receiver":1,"status":2}'), "json: cannot unmarshal number into Go struct field Data.receiver of type string");
  });

  test("a malformed time stops decoding at once and wins over an earlier mismatch", () => {
    assert.equal(failure('{"alerts":[{"startsAt":5}]}'), 'parsing time "5" as "\\"2006-01-02T15:04:05Z07:00\\"": cannot parse "5" as "\\""');
    assert.equal(failure('{"receiver":1,"alerts":[{"endsAt":"2020-13-01T00:00:00Z"}]}'), 'parsing time "\\"2020-13-01T00:00:00Z\\"": month out of range');
    // The time gets the raw bytes: an escape inside the string is not decoded first.
    assert.equal(failure('{"alerts":[{"startsAt":"\\u0032020-01-01T00:00:00Z"}]}'), 'parsing time "\\"\\\\u0032020-01-01T00:00:00Z\\"" as "\\"2006-01-02T15:04:05Z07:00\\"": cannot parse "\\\\u0032020-01-01T00:00:00Z\\"" as "2006"');
  });

  test("syntax errors in Go's words, found before any decoding", () => {
    const cases: Array<[string, string]> = [
      ["", "unexpected end of JSON input"],
      ['{"a":', "unexpected end of JSON input"],
      ["{,}", "invalid character ',' looking for beginning of object key string"],
      ['{"a" 1}', "invalid character '1' after object key"],
      ['{"a":1 "b":2}', "invalid character '\"' after object key:value pair"],
      ["[1 2]", "invalid character '2' after array element"],
      ["[,]", "invalid character ',' looking for beginning of value"],
      ["{} {}", "invalid character '{' after top-level value"],
      ["tru", "unexpected end of JSON input"],
      ["trUe", "invalid character 'U' in literal true (expecting 'u')"],
      ["nul1", "invalid character '1' in literal null (expecting 'l')"],
      ["-x", "invalid character 'x' in numeric literal"],
      ["1.x", "invalid character 'x' after decimal point in numeric literal"],
      ["1ex", "invalid character 'x' in exponent of numeric literal"],
      ["01", "invalid character '1' after top-level value"],
      ['"\\x"', "invalid character 'x' in string escape code"],
      ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
      ['"a\tb"', "invalid character '\\t' in string literal"],
      ["'a'", "invalid character '\\'' looking for beginning of value"],
      ['{"receiver":5,', "unexpected end of JSON input"],
    ];
    for (const [json, message] of cases) assert.equal(failure(json), message, JSON.stringify(json));
    assert.equal(failure(Uint8Array.from([0xc3, 0xa9])), "invalid character 'Ã' looking for beginning of value");
  });

  test("strings: invalid UTF-8 bytes and lone surrogates become U+FFFD, one per byte", () => {
    const bytes = Buffer.concat([Buffer.from('{"receiver":"a'), Buffer.from([0xe2, 0x82]), Buffer.from('b\\ud800\\u0041\\ud83d\\ude00"}')]);
    assert.equal(render(bytes, "{{ .Receiver }}"), "a\ufffd\ufffdb\ufffdA😀");
  });
});

describe("amtool's example data", () => {
  test("its fields, labels and annotations", () => {
    const d = exampleTemplateData();
    const set = new TemplateSet();
    assert.equal(set.renderText("{{ .Receiver }} {{ .Status }} {{ .ExternalURL }} {{ .GroupLabels }} {{ .CommonLabels }} {{ .CommonAnnotations }}", d), "receiver alertstatus https://example.com map[grouplabelkey1:grouplabelvalue1 grouplabelkey2:grouplabelvalue2] map[commonlabelkey1:commonlabelvalue1 commonlabelkey2:commonlabelvalue2] map[commonannotationkey1:commonannotationvalue1 commonannotationkey2:commonannotationvalue2]");
    assert.equal(set.renderText("{{ range .Alerts }}{{ .Status }} {{ .Labels }} {{ .Annotations }} {{ .GeneratorURL }} {{ .Fingerprint }};{{ end }}", d), "alertstatus map[commonlabelkey1:commonlabelvalue1 commonlabelkey2:commonlabelvalue2 instance:foo.bar:1234 label1:value1 label2:value2] map[annotation1:value1 annotation2:value2 commonannotationkey1:commonannotationvalue1 commonannotationkey2:commonannotationvalue2] https://generatorurl.com fingerprint1;alertstatus map[baz:qux commonlabelkey1:commonlabelvalue1 commonlabelkey2:commonlabelvalue2 foo:bar] map[aaa:bbb ccc:ddd commonannotationkey1:commonannotationvalue1 commonannotationkey2:commonannotationvalue2] https://generatorurl.com fingerprint2;");
  });

  test("times read from the clock in amtool's order, Local, with monotonic readings", () => {
    let wall = Date.UTC(2026, 0, 2, 3, 4, 5);
    let mono = 1_000_000_000n;
    const clock = { wallMs: () => (wall += 1), monoNs: () => (mono += 1_000_000n) };
    const d = exampleTemplateData(clock);
    const set = new TemplateSet();
    assert.equal(
      set.renderText("{{ range .Alerts }}{{ .StartsAt }}|{{ .EndsAt }}|{{ .EndsAt.Sub .StartsAt }}|{{ printf \"%#v\" .EndsAt }};{{ end }}", d),
      "2026-01-02 02:59:05.001 +0000 UTC m=-298.999000000|2026-01-02 03:04:05.002 +0000 UTC m=+1.002000000|5m0.001s|time.Date(2026, time.January, 2, 3, 4, 5, 2000000, time.Local);" +
        "2026-01-02 02:54:05.003 +0000 UTC m=-598.997000000|2026-01-02 03:04:05.004 +0000 UTC m=+1.004000000|10m0.001s|time.Date(2026, time.January, 2, 3, 4, 5, 4000000, time.Local);",
    );
    // Round strips the monotonic reading (Go's canonical way); Add keeps it.
    assert.equal(set.renderText("{{ with index .Alerts 0 }}{{ .EndsAt.Round 0 }}|{{ (.EndsAt.Add 1000000000).Sub .EndsAt }}{{ end }}", d), "2026-01-02 03:04:05.002 +0000 UTC|1s");
  });
});
