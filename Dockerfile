# The meshgraph image: the CLI and every component (run one per container with its subcommand).
FROM node:20-bookworm-slim
WORKDIR /opt/meshgraph
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
ENV NODE_ENV=production
ENTRYPOINT ["node", "bin/meshgraph.js"]
CMD ["--help"]
