import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { SagaMetrics } from './saga-metrics';

@ApiTags('observability')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: SagaMetrics) {}

  @Get()
  @ApiOkResponse({
    description:
      'Prometheus text exposition: saga counters, step and saga durations, sagas in flight, timeout job lag and claims, process metrics',
  })
  async scrape(@Res({ passthrough: true }) res: Response): Promise<string> {
    const { contentType, body } = await this.metrics.scrape();
    res.setHeader('Content-Type', contentType);
    res.setHeader('Cache-Control', 'no-store');
    return body;
  }
}
