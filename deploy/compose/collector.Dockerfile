# The collector, built from the repository (context: the repository root).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN npm ci && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
USER node
EXPOSE 8480
CMD ["node", "collector/dist/cli.js", "serve"]
