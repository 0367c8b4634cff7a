import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiEnv } from './auth.ts';
import type { NodeAppOptions } from './app.ts';

/** Admin-only routes: statistics, consent changes, erasures. */
export function registerAdminRoutes(app: OpenAPIHono<ApiEnv>, o: NodeAppOptions): void {
  void app;
  void o;
}
