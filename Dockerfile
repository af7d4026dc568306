FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The saga library is a workspace package: npm ci links it into node_modules/sagaworks.
COPY packages/sagaworks/package.json packages/sagaworks/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
# Production: JSON logs (pino-pretty is a dev dependency and is pruned above).
ENV NODE_ENV=production PORT=3000
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# node_modules/sagaworks links here: the library's manifest and build.
COPY --from=build /app/packages/sagaworks/package.json ./packages/sagaworks/
COPY --from=build /app/packages/sagaworks/dist ./packages/sagaworks/dist
COPY package.json ./
# Without DATABASE_URL the app keeps its embedded PGlite database here: writable by the unprivileged user.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
# Ready = the database answers and the saga timeout job is passing. The slim image has no curl; node has fetch.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]
