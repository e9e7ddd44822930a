// Hostile parameter values and the template they are tried against. Shared by the injection
// tests and the property test; kept out of any *.test.ts so that importing it registers no tests
// (the injection tests once ran twice, imported by the property test). Not shipped (dist/testing).

export const INJECTION_CONFIG = `
templates:
  t:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/r
    params:
      name: { max_length: 200 }
      prefix: { type: s3_prefix, max_length: 200 }
      table: { type: arn, service: dynamodb, account: "123456789012", max_length: 200 }
      level: { type: enum, values: [read, write] }
      port: { type: integer, min: 1, max: 65535 }
    policy:
      Statement:
        - Effect: Allow
          Action: ["s3:GetObject"]
          Resource: ["arn:aws:s3:::bucket/{{tenant}}/{{name}}/{{prefix}}*"]
          Condition: { StringEquals: { "aws:ResourceTag/level": "{{level}}", "aws:ResourceTag/port": "{{port}}" } }
        - Effect: Allow
          Action: ["dynamodb:GetItem"]
          Resource: ["{{table}}"]
    tags: { name: "{{name}}" }
access:
  - { tenants: ["*"], principals: ["*"], templates: ["*"] }
`;
/** Values no parameter type accepts. */
export const HOSTILE = [
  "", '"', 'a"b', '\\"', 'x","Action":"*', '"}]},{"Effect":"Allow","Action":"*","Resource":"*', "]", "[", "{", "}", "a}b",
  "*", "a*", "?", "a?b", "${aws:username}", "$", "${", "..", "a/../b", "a\nb", "a\rb", "a\tb", "a\u0000b", "\u007f",
  "é", "ａ", "a\u200bb", "\u2028", "😀", " a", "a b", "a,b", "{{tenant}}", "{{principal}}", "a'b", "a;b", "\\", "`", "a|b", "<x>", "%2e%2e", "a&b", "#", "x".repeat(201),
];

