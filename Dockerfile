# One image for every credvend process: `credvend worker`, `credvend aws-local`, the CLI.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
ENV NODE_ENV=production
USER node
ENTRYPOINT ["node", "services/cli/bin/credvend.js"]
CMD ["worker"]
