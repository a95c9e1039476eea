// node validate_openapi.mjs FILE: is FILE a valid OpenAPI document? Checked against the specification's JSON Schema
// by @seriousme/openapi-schema-validator, then every $ref resolved. Prints {valid, version, errors} as JSON; exits
// 0 when valid, 1 when not.
import { Validator } from "@seriousme/openapi-schema-validator";

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate_openapi.mjs FILE");
  process.exit(2);
}
const validator = new Validator();
const result = await validator.validate(file);
const report = { valid: result.valid, version: validator.version ?? null, errors: result.errors ?? [] };
if (report.valid) {
  try {
    validator.resolveRefs();
  } catch (e) {
    report.valid = false;
    report.errors = [{ message: `a $ref does not resolve: ${e.message}` }];
  }
}
console.log(JSON.stringify(report, null, 1));
process.exit(report.valid ? 0 : 1);
