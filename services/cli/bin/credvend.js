#!/usr/bin/env node
// Entry point of the `credvend` command; the implementation is compiled to dist/ by `npm run build`.
import { main } from "../dist/index.js";

process.exitCode = await main(process.argv.slice(2));
